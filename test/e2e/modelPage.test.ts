// The model page and the tree in Debian's chromium (playwright-core), at 1440 × 900 and 390 × 844,
// on an 11-model family like the demo's: the shared model, a 40 % width child and a vocabulary-trimmed
// child (both evaluated on the same text), a 50 % magnitude-sparsified child, and seven fine-tunes.
// Screenshots go to a temporary folder printed at the start (kept, so they can be looked at).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseModelName } from '../../src/registry/names.js';
import type { Runner } from '../../workers/runner.js';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

const CHROMIUM = '/usr/bin/chromium';
const SIZES = [
  ['1440 × 900', { width: 1440, height: 900 }, 'desktop'],
  ['390 × 844', { width: 390, height: 844 }, 'phone'],
] as const;
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing: the e2e suite must run in CI (.ci/run installs chromium)`);

const ROOT = 'bible/tiny-llama-kjv';
const WIDTH = 'bible/tiny-llama-kjv-width40-maw';
const SPARSE = 'bible/tiny-llama-kjv-sparse50';
const FINETUNES = Array.from({ length: 7 }, (_, i) => `psalms/tiny-llama-kjv-psalms-finetune-${i + 1}`);

let api: TestApi;
let browser: Browser;
let page: Page;
let roots: string;
let runner: Runner;
let vocab: string;
const shots = mkdtempSync(join(tmpdir(), 'bonsai-shots-'));
const consoleErrors: string[] = [];

async function shot(name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

const hashOf = async () => (await page.evaluate('location.hash')) as string;

async function ready(name: string): Promise<void> {
  await waitFor(
    `${name} READY`,
    async () => {
      const r = await api.gql<{ model: { status: string } }>('query($n: String!) { model(name: $n) { status } }', { n: name });
      if (r.data?.model.status === 'FAILED') throw new Error(`${name} failed`);
      return r.data?.model.status === 'READY' ? true : undefined;
    },
    180_000,
    500,
  );
}

describe.skipIf(!hasChromium)('model page and tree (chromium)', () => {
  beforeAll(async () => {
    // web/dist is built for the run by the global setup (web/build.ts).
    const webBuildProblem = inject('webBuildProblem');
    if (webBuildProblem) throw new Error(`the catalog could not be built: ${webBuildProblem}`);
    console.log(`screenshots: ${shots}`);
    roots = tempDir('bonsai-e2e-');
    mkdirSync(join(roots, 'data'));
    cpSync(sharedModel, join(roots, 'tiny-llama-kjv'), { recursive: true });
    const lines = readFileSync(join(sharedDir, 'data', 'kjv-val.txt'), 'utf8').split('\n');
    // 30 lines (966 tokens, 4 windows of 256): the pages compare measured values, of any size
    // (1.2 CPU-s an evaluation against 2.0 for 120 lines, and the file evaluates five models).
    writeFileSync(join(roots, 'data', 'val-small.txt'), lines.slice(0, 30).join('\n'));
    writeFileSync(join(roots, 'data', 'corpus.txt'), lines.slice(0, 400).join('\n'));
    api = await startTestApi({ modelRoots: [roots] });
    runner = await api.startRunner([roots]);
    await api.register(join(roots, 'tiny-llama-kjv'), ROOT, 'apache-2.0');
    const evaluate = [{ task: 'perplexity', data: join(roots, 'data', 'val-small.txt') }];
    const e = await api.gql('mutation($t: [EvaluationTaskInput!]!) { evaluateModel(model: "bible/tiny-llama-kjv", tasks: $t) { id } }', {
      t: evaluate,
    });
    expect(e.errors).toBeUndefined();
    const spawn = async (recipe: Record<string, unknown>, e: unknown[] = evaluate) => {
      const r = await api.gql<{ spawnPrunedVariant: { model: { name: string } } }>(
        'mutation($r: PruningRecipeInput!, $e: [EvaluationTaskInput!]) { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", recipe: $r, evaluate: $e) { model { name } } }',
        { r: recipe, e },
      );
      expect(r.errors).toBeUndefined();
      return r.data!.spawnPrunedVariant.model.name;
    };
    expect(await spawn({ mlpWidth: { pruningFraction: 0.4 } })).toBe(WIDTH);
    vocab = await spawn({ vocab: { corpus: [join(roots, 'data', 'corpus.txt')] } });
    // Magnitude, 50 % of each projection matrix (no calibration); not evaluated, so the chart's markers stay as they were.
    expect(await spawn({ sparsity: { sparsity: 0.5 } }, [])).toBe(SPARSE);
    for (const n of FINETUNES) {
      const r = await api.gql(
        `mutation($p: String!, $n: String!) { registerModel(path: $p, name: $n, license: "mit", parents: [{ model: "${ROOT}", relation: FINETUNED }]) { model { name } } }`,
        { p: join(roots, 'tiny-llama-kjv'), n },
      );
      expect(r.errors).toBeUndefined();
    }
    // Two fine-tunes of the same weights as the root: three results of one size and value (one marker).
    for (const n of FINETUNES.slice(0, 2)) {
      const r = await api.gql('mutation($m: String!, $t: [EvaluationTaskInput!]!) { evaluateModel(model: $m, tasks: $t) { id } }', {
        m: n,
        t: evaluate,
      });
      expect(r.errors).toBeUndefined();
    }
    await ready(WIDTH);
    await ready(vocab);
    await ready(SPARSE);
    await waitFor(
      'the evaluations',
      async () => {
        const r = await api.gql<{ models: { nodes: Array<{ evaluations: unknown[] }> } }>(
          '{ models(first: 20) { nodes { evaluations { value } } } }',
        );
        return r.data!.models.nodes.filter((m) => m.evaluations.length > 0).length >= 5 ? true : undefined;
      },
      180_000,
      500,
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`${page.url()}: ${err.message}`));
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  }, 60_000);

  it.each(SIZES)(
    'at %s: tabs at the top, the card first, the tab in the URL, arrow keys between tabs',
    async (_size, viewport, tag) => {
      consoleErrors.length = 0;
      await page.setViewportSize(viewport);
      await page.goto(`${api.server.url}/#/model/${WIDTH}`);
      const tablist = page.getByRole('tablist', { name: 'model sections' });
      await tablist.waitFor();
      // The tabs start within the first screen, the card is the selected first tab.
      expect((await tablist.boundingBox())!.y).toBeLessThan(viewport.height / 2);
      const tabs = tablist.getByRole('tab');
      expect(await tabs.first().textContent()).toBe('Model card');
      expect(await tabs.first().getAttribute('aria-selected')).toBe('true');
      await page.getByRole('tabpanel').getByText('Hardware requirements').first().waitFor();
      const panelId = await page.getByRole('tabpanel').getAttribute('id');
      expect(await tabs.first().getAttribute('aria-controls')).toBe(panelId);
      await shot(`tabs-card-${tag}`);

      // Keyboard: Right selects the next tab and moves focus; End the last, Home the first, Left wraps.
      await tabs.first().focus();
      await page.keyboard.press('ArrowRight');
      await expect.poll(hashOf).toBe(`#/model/${WIDTH}?tab=use`);
      await page.keyboard.press('ArrowRight');
      await expect.poll(hashOf).toBe(`#/model/${WIDTH}?tab=files`);
      expect(await page.evaluate('document.activeElement.id')).toBe('tab-files');
      await page.getByRole('tabpanel').getByRole('link', { name: 'model.safetensors' }).waitFor();
      await page.keyboard.press('End');
      await expect.poll(hashOf).toBe(`#/model/${WIDTH}?tab=jobs`);
      await page.keyboard.press('Home');
      await expect.poll(hashOf).toBe(`#/model/${WIDTH}`);
      await page.keyboard.press('ArrowLeft');
      await expect.poll(hashOf).toBe(`#/model/${WIDTH}?tab=jobs`);
      expect(await page.getByRole('tab', { selected: true }).textContent()).toMatch(/^Jobs/);
      // Only the selected tab is in the Tab order.
      expect(await tabs.evaluateAll((ts) => ts.map((t) => t.getAttribute('tabindex')))).toEqual([
        '-1',
        '-1',
        '-1',
        '-1',
        '-1',
        '-1',
        '-1',
        '0',
      ]);

      // Reload keeps the tab; back and forward walk the tabs visited.
      await page.getByRole('tab', { name: /Evaluations/ }).click();
      await page.getByRole('tabpanel').getByRole('table').waitFor();
      await page.reload();
      await page.getByRole('tab', { name: /Evaluations/, selected: true }).waitFor();
      await page.getByRole('tabpanel').getByRole('table').waitFor();
      await shot(`tabs-evaluations-${tag}`);
      await page.goBack();
      await page.getByRole('tab', { name: /Jobs/, selected: true }).waitFor();
      await page.goForward();
      await page.getByRole('tab', { name: /Evaluations/, selected: true }).waitFor();
      expect(consoleErrors).toEqual([]);
    },
    120_000,
  );

  it.each(SIZES)(
    'at %s: the tree is readable at its default zoom, uses the width, and zooms around the current model',
    async (_size, viewport, tag) => {
      consoleErrors.length = 0;
      await page.setViewportSize(viewport);
      await page.goto(`${api.server.url}/#/tree/${WIDTH}`);
      await page.reload();
      const svg = page.getByRole('img', { name: `model tree of ${ROOT}` });
      await svg.waitFor();
      await page.getByText('100 %').waitFor();
      expect(await page.locator('g.node').count()).toBe(11);
      // Every name in full (no ellipsis) and every label at least 12 px high on the screen.
      const names = await page.locator('g.node').evaluateAll((gs) =>
        gs.map((g) => ({
          name: g.getAttribute('data-name'),
          text: [...g.querySelectorAll('.node-name tspan')].map((t) => t.textContent).join(''),
        })),
      );
      for (const n of names) expect(n.text).toBe(n.name);
      const smallest = await svg.evaluate((s) =>
        Math.min(
          ...[...s.querySelectorAll('text')].map(
            (t) => (t as unknown as { getBoundingClientRect(): { height: number } }).getBoundingClientRect().height,
          ),
        ),
      );
      expect(smallest).toBeGreaterThanOrEqual(12);
      // No box leaves its frame sideways, and the boxes fill the width (on a desktop most of the 1,408 px).
      const frame = (await page.locator('.tree-svg').boundingBox())!;
      const boxes = await page.locator('g.node rect').evaluateAll((rs) =>
        rs.map((r) => {
          const b = (r as unknown as { getBoundingClientRect(): { left: number; right: number } }).getBoundingClientRect();
          return { left: b.left, right: b.right };
        }),
      );
      expect(Math.max(...boxes.map((b) => b.right))).toBeLessThanOrEqual(frame.x + frame.width + 1);
      expect(Math.max(...boxes.map((b) => b.right)) - Math.min(...boxes.map((b) => b.left))).toBeGreaterThan(frame.width * 0.75);
      await shot(`tree-default-${tag}`);

      // Zoom in twice: the current model stays where it was on the screen.
      const current = page.locator(`g.node.current[data-name="${WIDTH}"] rect`);
      const before = (await current.boundingBox())!;
      await page.getByRole('button', { name: 'zoom in' }).click();
      await page.getByRole('button', { name: 'zoom in' }).click();
      await page.getByText('156 %').waitFor();
      const after = (await current.boundingBox())!;
      expect(Math.abs(after.x + after.width / 2 - (before.x + before.width / 2))).toBeLessThan(4);
      expect(Math.abs(after.y + after.height / 2 - (before.y + before.height / 2))).toBeLessThan(4);
      await shot(`tree-zoomed-${tag}`);
      expect(consoleErrors).toEqual([]);
    },
    120_000,
  );

  it.each(SIZES)(
    'at %s: one comparability rule and one wording in the list, the chart and the Evaluations tab',
    async (_size, viewport, tag) => {
      consoleErrors.length = 0;
      await page.setViewportSize(viewport);
      // The rule's words for a trimmed vocabulary (compareWithParent in src/eval/comparable.ts).
      const words = 'not comparable: a different tokenizer';
      await page.goto(`${api.server.url}/#/?metric=perplexity`);
      const row = page
        .locator('tr')
        .filter({ has: page.locator('td[data-label="Model"]').getByRole('link', { name: vocab, exact: true }) });
      await row.getByText(words).waitFor();
      // The parent itself and a pruned child measured with the parent's tokenizer carry no mark.
      for (const name of [ROOT, WIDTH])
        expect(
          await page
            .locator('tr')
            .filter({ has: page.locator('td[data-label="Model"]').getByRole('link', { name, exact: true }) })
            .getByText(words)
            .count(),
        ).toBe(0);
      await shot(`quality-list-${tag}`);

      await page.goto(`${api.server.url}/#/model/${vocab}?tab=evaluations`);
      // perplexity and mean_nll: both per token, both marked.
      await expect.poll(() => page.getByRole('tabpanel').getByText(words).count()).toBe(2);

      await page.goto(`${api.server.url}/#/tree/${vocab}`);
      await page.locator('ul.apart').getByText(`${vocab}: ${words}`).waitFor();
      // The chart's figures: three models share the root's marker; the trimmed one is drawn apart.
      await page.getByText("The chart's figures").click();
      const figures = page.getByRole('table', { name: 'perplexity of each model' });
      expect(await figures.getByText('one marker for 3 models').count()).toBe(3);
      expect(await figures.getByRole('row').filter({ hasText: vocab }).getByText('apart').count()).toBe(1);
      await page.waitForTimeout(300);
      await shot(`quality-chart-${tag}`);
      // A label is drawn beside the markers: dark text pixels right of (or left of) the larger model's marker.
      const labelled = await page.locator('canvas[role=img]').evaluate((c) => {
        const canvas = c as unknown as {
          width: number;
          height: number;
          getContext(k: string): { getImageData(...a: number[]): { data: Uint8ClampedArray } };
        };
        const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let dark = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] === 0x1d && px[i + 1] === 0x2a && px[i + 2] === 0x22) dark++;
        return dark;
      });
      // Anti-aliased glyphs leave only a few exact-colour pixels per letter: three labels give hundreds.
      expect(labelled).toBeGreaterThan(100);
      expect(consoleErrors).toEqual([]);
    },
    120_000,
  );

  it.each(SIZES)(
    'at %s: the spawn form shows what applies, names fields as flags, lines up, tells a wrong token from none',
    async (_size, viewport, tag) => {
      consoleErrors.length = 0;
      await page.setViewportSize(viewport);
      await page.goto(`${api.server.url}/#/`);
      await page.evaluate("sessionStorage.removeItem('bonsai-token')");
      await page.goto(`${api.server.url}/#/spawn/${ROOT}`);
      await page.reload();
      await page.getByLabel('Pruning fraction').waitFor();
      // Nothing typed yet: no error on the page.
      expect(await page.locator('main .error').count()).toBe(0);
      // The fields of mlp-width with maw: no calibration, samples or dampening; the flags shown beside the words.
      const labels = async () => (await page.locator('.field-row > label').allTextContents()).join(' | ');
      expect(await labels()).not.toMatch(/Calibration|Samples|Dampening/);
      await page.getByText('--pruning-fraction', { exact: true }).waitFor();
      await page.getByLabel('Criterion').selectOption('activation');
      await expect.poll(labels).toMatch(/Calibration.*Samples/);
      expect(await labels()).not.toMatch(/Dampening/);
      await page.getByLabel('Reconstruct').selectOption('least-squares');
      await expect.poll(labels).toMatch(/Dampening/);
      await page.getByLabel('Method').selectOption('sparsity');
      expect(await labels()).not.toMatch(/Calibration|Samples|Dampening/);
      await page.getByLabel('Criterion').selectOption('wanda');
      await expect.poll(labels).toMatch(/Calibration/);
      expect(await labels()).not.toMatch(/Scope|Dampening/);
      // OWL's fields appear with allocation owl only, under their flags (issue 30).
      expect(await labels()).not.toMatch(/Owl m|Owl lambda/i);
      await page.getByLabel('Allocation').selectOption('owl');
      await expect.poll(labels).toMatch(/Owl m.*Owl lambda/i);
      await page.getByText('--owl-lambda', { exact: true }).waitFor();
      // Hidden channels: sized by fraction or hidden size; calibration only for the activation criterion.
      await page.getByLabel('Method').selectOption('hidden');
      await expect.poll(labels).toMatch(/Hidden size/);
      expect(await labels()).not.toMatch(/Calibration|Samples/);
      await page.getByText('--hidden-size', { exact: true }).waitFor();
      await page.getByLabel('Criterion').selectOption('activation');
      await expect.poll(labels).toMatch(/Calibration.*Samples/);
      await page.getByLabel('Method').selectOption('mlp-width');
      // Every control starts at the same x (aligned labels); on a phone each under its label.
      const lefts = await page.locator('.field-control').evaluateAll((cs) => cs.map((c) => Math.round(c.getBoundingClientRect().left)));
      expect(new Set(lefts).size).toBe(1);

      // A problem is shown under its field once the field is touched; the rule's field names as flags.
      await page.getByLabel('Pruning fraction').fill('0.3');
      await page.getByLabel('Expansion rate').fill('50');
      await page
        .locator('#recipe-pruningFraction-problem', {
          hasText: 'give exactly one of --pruning-fraction, --expansion-rate, --intermediate-size',
        })
        .waitFor();
      // The method's description names them the same way.
      await page
        .locator('#spawn-method-help', { hasText: 'Give exactly one of --pruning-fraction, --expansion-rate, --intermediate-size' })
        .waitFor();
      await page.getByLabel('Expansion rate').fill('');
      await expect.poll(() => page.getByTestId('plan-summary').textContent(), { timeout: 15_000 }).toContain('8.80 M →');

      // No token, then a wrong one: two different messages.
      await page.getByRole('button', { name: 'Spawn' }).click();
      await page.getByRole('alert').filter({ hasText: 'This needs an API token' }).waitFor();
      await page.getByLabel('API token').fill('hf_bonsai_not-a-real-token');
      await page.getByRole('button', { name: 'Spawn' }).click();
      await page.getByRole('alert').filter({ hasText: 'The API token was refused' }).waitFor();
      // The refused token is not kept: the catalog's pages still read without it.
      expect(await page.evaluate("sessionStorage.getItem('bonsai-token')")).toBeNull();
      await shot(`spawn-wrong-token-${tag}`);

      // A maintainer's token lists the import roots' text files, by root-relative names only.
      await page.getByLabel('API token').fill(api.tokens.MAINTAINER);
      const evalData = page.getByLabel('Perplexity data (optional)');
      await expect.poll(() => evalData.locator('option').allTextContents()).toContain('data/val-small.txt');
      for (const o of await evalData.locator('option').allTextContents()) expect(o).not.toContain(roots);
      // A spawn from this form to READY (the button usable again at once, the measured perplexity
      // against the parent's) is test/e2e/catalog.test.ts's first test: a prune and an evaluation
      // fewer here.
      await shot(`spawn-${tag}`);
      expect(consoleErrors).toEqual([]);
    },
    120_000,
  );

  it.each(SIZES)(
    'at %s: the author README.md beside the generated card, copy buttons beside the code, the list uses the screen',
    async (_size, viewport, tag) => {
      consoleErrors.length = 0;
      await page.setViewportSize(viewport);
      const phone = tag === 'phone';
      // The catalog: on a phone the first screen shows models (the filters folded); one architecture is said once.
      await page.goto(`${api.server.url}/#/`);
      await page.evaluate("sessionStorage.removeItem('bonsai-filters-open')");
      await page.reload();
      const first = page.locator('td[data-label="Model"] a').first();
      await first.waitFor();
      expect((await first.boundingBox())!.y).toBeLessThan(viewport.height);
      expect(await page.locator('details.more-filters').evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(!phone);
      await page.getByText('architecture LlamaForCausalLM').waitFor();
      expect(await page.getByText('LlamaForCausalLM').count()).toBe(1);
      if (!phone) {
        // The table takes the width: no name wraps at 1,440 px.
        const wrapped = await page
          .locator('td[data-label="Model"] a')
          .evaluateAll((as) => as.filter((a) => (a as unknown as { getClientRects(): unknown[] }).getClientRects().length > 1).length);
        expect(wrapped).toBe(0);
      }
      await shot(`catalog-first-screen-${tag}`);

      // The root's own README.md, and Bonsai's card beside it (side by side on a desktop, one after the other on a phone).
      await page.goto(`${api.server.url}/#/model/${ROOT}`);
      await page.getByRole('heading', { name: ROOT, exact: true, level: 1 }).waitFor();
      const author = page.getByRole('region', { name: 'README.md from the author' });
      await author.getByText('A small but really trained causal language model').waitFor();
      const generated = page.getByRole('region', { name: 'model card' });
      await generated.getByText('Hardware requirements').first().waitFor();
      const [a, g] = [(await author.boundingBox())!, (await generated.boundingBox())!];
      if (phone) expect(g.y).toBeGreaterThan(a.y + a.height - 1);
      else expect(Math.abs(g.y - a.y)).toBeLessThan(2);
      // The README's opening sentence is on the page once (not again as a description in the header).
      expect(await page.getByText('A small but really trained causal language model').count()).toBe(1);
      await shot(`author-card-${tag}`);

      // A copy button does not cover its code: the reproduce command's box and the button's do not overlap.
      // The same document (only the hash changes): wait for the width child's own page, and for the
      // button to be visible, so the boxes are not read from the root's page as it is replaced.
      await page.goto(`${api.server.url}/#/model/${WIDTH}`);
      await page.getByRole('heading', { name: WIDTH, exact: true, level: 1 }).waitFor();
      const block = page.locator('.code-block').filter({ hasText: 'bonsai prune' }).first();
      const copy = block.getByRole('button', { name: 'Copy this code' });
      await copy.waitFor();
      const pre = (await block.locator('pre').boundingBox())!;
      const button = (await copy.boundingBox())!;
      const overlap =
        button.x < pre.x + pre.width &&
        button.x + button.width > pre.x &&
        button.y < pre.y + pre.height &&
        button.y + button.height > pre.y;
      expect(overlap).toBe(false);
      await shot(`copy-button-${tag}`);
      expect(consoleErrors).toEqual([]);
    },
    120_000,
  );

  it.each(SIZES)(
    'at %s: Use this model gives copyable snippets for this server and an Evaluate button for maintainers',
    async (_size, viewport, tag) => {
      consoleErrors.length = 0;
      await page.setViewportSize(viewport);
      await page.goto(`${api.server.url}/#/model/${WIDTH}?tab=use`);
      const panel = page.getByRole('region', { name: 'use this model' });
      await panel.waitFor();
      const code = async (title: string) =>
        (await panel
          .locator('.snippet', { has: page.getByRole('heading', { name: title, exact: true }) })
          .locator('pre')
          .textContent()) ?? '';
      const origin = api.server.url;
      expect(await code('hf download')).toBe(`HF_ENDPOINT=${origin} hf download ${WIDTH} --local-dir tiny-llama-kjv-width40-maw`);
      expect(await code('transformers')).toContain(`os.environ["HF_ENDPOINT"] = "${origin}"`);
      expect(await code('transformers')).toContain(`AutoModelForCausalLM.from_pretrained("${WIDTH}")`);
      expect(await code('bonsai pull')).toBe(`BONSAI_URL=${origin} bonsai pull ${WIDTH} tiny-llama-kjv-width40-maw`);
      // The reproduce command is the card's own.
      expect(await code('Reproduce')).toMatch(/^bonsai prune bible\/tiny-llama-kjv tiny-llama-kjv-width40-maw --method mlp-width /);
      // No ONNX export of this model yet: transformers.js is named with what it needs instead of a snippet that would fail.
      const onnx = await api.gql<{ model: { onnx: unknown } }>('query($n: String!) { model(name: $n) { onnx { files { path } } } }', {
        n: WIDTH,
      });
      expect(onnx.data!.model.onnx).toBeNull();
      await panel.getByText('transformers.js needs an ONNX export of this model first').waitFor();
      // Each snippet's copy button sits above its code, not over it.
      for (const s of await panel.locator('.snippet .code-block').all()) {
        const pre = (await s.locator('pre').boundingBox())!;
        const button = (await s.getByRole('button').boundingBox())!;
        expect(button.y + button.height).toBeLessThanOrEqual(pre.y + 1);
      }
      await shot(`use-this-model-${tag}`);
      if (tag === 'desktop') {
        // A maintainer evaluates from here: the job is queued and shows in the Jobs tab. No worker
        // from here on: the evaluation would only run to the end of the file, unchecked.
        await runner.stop();
        await page.evaluate(`sessionStorage.setItem('bonsai-token', ${JSON.stringify(api.tokens.MAINTAINER)})`);
        await page.reload();
        const select = panel.getByLabel('Perplexity on');
        await expect.poll(() => select.locator('option').allTextContents()).toContain('data/val-small.txt');
        await select.selectOption('data/val-small.txt');
        await panel.getByRole('button', { name: 'Evaluate' }).click();
        await panel.getByText('Queued: follow it in the Jobs tab.').waitFor();
        const jobs = await api.gql<{ model: { jobs: Array<{ kind: string }> } }>(
          'query($n: String!) { model(name: $n) { jobs(first: 50) { kind } } }',
          { n: WIDTH },
        );
        expect(jobs.data!.model.jobs.filter((j) => j.kind === 'EVALUATE').length).toBeGreaterThanOrEqual(2);
      }
      expect(consoleErrors).toEqual([]);
    },
    120_000,
  );
  it.each(SIZES)(
    'at %s: the Tensors tab marks what the width prune changed (gate/up/down sliced 512 → 308, the rest kept byte for byte)',
    async (_size, viewport, tag) => {
      consoleErrors.length = 0;
      await page.setViewportSize(viewport);
      await page.goto(`${api.server.url}/#/model/${WIDTH}?tab=tensors`);
      const panel = page.getByRole('region', { name: 'tensors' });
      const table = panel.getByRole('table', { name: 'tensors' });
      await table.waitFor();
      // The shared model: 6 blocks of 9 tensors, the embedding and the final norm (56); the prune
      // slices the 3 MLP matrices of each block (18) and keeps the other 38.
      const filters = panel.getByRole('group', { name: 'show tensors' });
      expect(await filters.getByRole('button').allTextContents()).toEqual(['All (56)', 'sliced (18)', 'kept byte for byte (38)']);
      expect(await table.locator('tbody tr').count()).toBe(56);
      const gate = table.locator('tr', { has: page.getByText('model.layers.3.mlp.gate_proj.weight', { exact: true }) });
      expect(await gate.getByRole('cell').allTextContents()).toEqual([
        'model.layers.3.mlp.gate_proj.weight',
        '[308, 192]',
        'BF16',
        // 308 × 192 × 2 bytes (BF16) = 118,272 bytes.
        '118.3 kB',
        'sliced [512, 192] → [308, 192]',
      ]);
      const down = table.locator('tr', { has: page.getByText('model.layers.3.mlp.down_proj.weight', { exact: true }) });
      expect(await down.getByRole('cell').last().textContent()).toBe('sliced [192, 512] → [192, 308]');
      // Filtering: only the sliced ones, then back to all.
      await filters.getByRole('button', { name: 'sliced (18)' }).click();
      await expect.poll(() => table.locator('tbody tr').count()).toBe(18);
      expect(await filters.getByRole('button', { name: 'sliced (18)' }).getAttribute('aria-pressed')).toBe('true');
      for (const cell of await table.locator('tbody tr td:last-child').allTextContents()) expect(cell).toMatch(/^sliced /);
      // No sideways scroll of the page (on a phone each row is a card).
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      await shot(`tensors-${tag}`);
      await filters.getByRole('button', { name: 'All (56)' }).click();
      await expect.poll(() => table.locator('tbody tr').count()).toBe(56);
      const attention = table.locator('tr', { has: page.getByText('model.layers.0.self_attn.q_proj.weight', { exact: true }) });
      expect(await attention.getByRole('cell').last().textContent()).toBe('kept byte for byte');
      expect(consoleErrors).toEqual([]);
    },
    120_000,
  );
  it.each(SIZES)(
    'at %s: a sparsified tensor shows its non-zero share, counted from the child’s own bytes; the header its own and shared bytes',
    async (_size, viewport, tag) => {
      consoleErrors.length = 0;
      await page.setViewportSize(viewport);
      // The child's weights as a client downloads them, each rewritten tensor's non-zero elements
      // counted here: BF16 is the top half of a float32, and −0 === 0.
      const file = Buffer.from(await (await fetch(`${api.server.url}/${SPARSE}/resolve/main/model.safetensors`)).arrayBuffer());
      const headerLength = Number(file.readBigUInt64LE(0));
      const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')) as Record<
        string,
        { dtype: string; shape: number[]; data_offsets: [number, number] }
      >;
      const f32 = new DataView(new ArrayBuffer(4));
      const share = new Map<string, string>();
      let rewrittenBytes = 0;
      for (const [name, t] of Object.entries(header)) {
        if (!/(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj)\.weight$/.test(name)) continue;
        let nonZero = 0;
        for (let i = 8 + headerLength + t.data_offsets[0]; i < 8 + headerLength + t.data_offsets[1]; i += 2) {
          f32.setUint32(0, file.readUInt16LE(i) << 16);
          if (f32.getFloat32(0) !== 0) nonZero++;
        }
        const elements = t.shape.reduce((a, d) => a * d, 1);
        share.set(name, `rewritten · ${((100 * nonZero) / elements).toFixed(1)} % non-zero`);
        rewrittenBytes += t.data_offsets[1] - t.data_offsets[0];
      }
      // 6 blocks × 7 projections.
      expect(share.size).toBe(42);

      await page.goto(`${api.server.url}/#/model/${SPARSE}?tab=tensors`);
      await page.getByRole('heading', { name: SPARSE, exact: true, level: 1 }).waitFor();
      const panel = page.getByRole('region', { name: 'tensors' });
      const table = panel.getByRole('table', { name: 'tensors' });
      const filters = panel.getByRole('group', { name: 'show tensors' });
      // Polled: the previous test's model may still be on the page while this one's tensors load.
      await expect
        .poll(() => filters.getByRole('button').allTextContents())
        .toEqual(['All (56)', 'rewritten (42)', 'kept byte for byte (14)']);
      await filters.getByRole('button', { name: 'rewritten (42)' }).click();
      await expect.poll(() => table.locator('tbody tr').count()).toBe(42);
      const rows = await table
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [tr.querySelector('code')?.textContent ?? '', tr.lastElementChild?.textContent ?? '']));
      expect(new Map(rows as Array<[string, string]>)).toEqual(share);
      // Per matrix, magnitude zeroes floor(n / 2) of n (the trained weights hold no zeros of their own).
      expect(share.get('model.layers.2.mlp.down_proj.weight')).toBe('rewritten · 50.0 % non-zero');
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      await shot(`tensors-sparse-${tag}`);

      // Own bytes: the pieces only this child has — its safetensors header (the recipe is in its
      // metadata), the 42 rewritten tensors — and each whole file no other model has (bonsai_recipe.json,
      // its config.json when written differently from the parent's); shared: the rest of its files.
      const files = await api.gql<{
        a: { files: Array<{ path: string; sha256: string; size: string }> };
        b: { files: Array<{ sha256: string }> };
      }>(`query { a: model(name: "${SPARSE}") { files { path sha256 size } } b: model(name: "${ROOT}") { files { sha256 } } }`);
      const rootFiles = new Set(files.data!.b.files.map((f) => f.sha256));
      const logical = files.data!.a.files.reduce((n, f) => n + Number(f.size), 0);
      const ownWhole = files
        .data!.a.files.filter((f) => f.path !== 'model.safetensors' && !rootFiles.has(f.sha256))
        .reduce((n, f) => n + Number(f.size), 0);
      const own = 8 + headerLength + rewrittenBytes + ownWhole;
      const stats = await api.gql<{ storageStats: { models: Array<{ name: string; ownBytes: string; sharedBytes: string }> } }>(
        '{ storageStats { models { name ownBytes sharedBytes } } }',
      );
      expect(stats.data!.storageStats.models.find((m) => m.name === SPARSE)).toEqual({
        name: SPARSE,
        ownBytes: String(own),
        sharedBytes: String(logical - own),
      });
      // The catalog's units: decimal, as the Hub's (1 MB = 10^6 bytes).
      const decimal = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} kB`);
      const badge = page.getByTestId('storage-badge');
      expect(await badge.textContent()).toBe(`${decimal(own)} own · ${decimal(logical - own)} shared`);
      expect(await badge.getAttribute('title')).toBe(
        `Stored only for this model: ${decimal(own)}; shared with relatives: ${decimal(logical - own)}; all its files: ${decimal(logical)} (the store keeps each tensor once)`,
      );
      // Beside the size, in the header's first screen.
      const head = (await page.locator('header.model-header').boundingBox())!;
      const box = (await badge.boundingBox())!;
      expect(box.y + box.height).toBeLessThanOrEqual(head.y + head.height);
      expect(box.y).toBeLessThan(viewport.height);
      await page.locator('header.model-header').screenshot({ path: join(shots, `storage-badge-${tag}.png`) });
      expect(consoleErrors).toEqual([]);
    },
    120_000,
  );

  it('keeps reading a model that has not settled after its last job ended, until it is READY', async () => {
    // The page reads the model's status and its jobs one after the other: a read can see the last
    // evaluation finished and the model still EVALUATING (the transaction that ended both committed
    // in between). Stopping there left the page on "evaluating" for good (a loaded run: 120 s).
    await page.setViewportSize(SIZES[0]![1]);
    const setStatus = (status: 'EVALUATING' | 'READY') =>
      api.db.prisma.model.update({ where: { owner_name: parseModelName(SPARSE) }, data: { status } });
    await setStatus('EVALUATING');
    try {
      // A fresh load: an earlier test may have left this page open, read before the change.
      await page.goto('about:blank');
      await page.goto(`${api.server.url}/#/model/${SPARSE}`);
      await page.getByRole('heading', { name: SPARSE, exact: true, level: 1 }).waitFor();
      const status = page.locator('header.model-header .status');
      await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('evaluating');
      await setStatus('READY');
      await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('ready');
    } finally {
      await setStatus('READY');
    }
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
