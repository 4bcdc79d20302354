// The catalog end to end in Debian's chromium (playwright-core): find the shared model, spawn a
// 40 % width variant from the form, watch it reach READY, open its card and the tree with its
// chart. Screenshots of each page go to test-output/screenshots.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { repoRoot } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`e2e tests skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run does it)`);
const shots = join(repoRoot, 'test-output', 'screenshots');

let api: TestApi;
let browser: Browser;
let page: Page;
let roots: string;

async function shot(name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

describe.skipIf(!hasChromium)('web catalog (chromium)', () => {
  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'web', 'dist', 'index.html')))
      execFileSync('npm', ['run', 'build:web'], { cwd: repoRoot, stdio: 'ignore' });
    mkdirSync(shots, { recursive: true });
    roots = tempDir('bonsai-e2e-');
    cpSync(sharedModel, join(roots, 'tiny-llama-kjv'), { recursive: true });
    // A short validation file keeps the evaluations quick.
    const lines = readFileSync(join(sharedDir, 'data', 'kjv-val.txt'), 'utf8')
      .split('\n')
      .slice(0, 120);
    writeFileSync(join(roots, 'val-small.txt'), lines.join('\n'));
    api = await startTestApi({ modelRoots: [roots] });
    await api.startRunner([roots]);
    await api.register(join(roots, 'tiny-llama-kjv'), 'bible/tiny-llama-kjv', 'apache-2.0');
    await api.gql(`mutation($t: [EvaluationTaskInput!]!) { evaluateModel(model: "bible/tiny-llama-kjv", tasks: $t) { id } }`, {
      t: [{ task: 'perplexity', data: join(roots, 'val-small.txt') }],
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  }, 60_000);

  it('catalog → spawn 40 % width → READY → card → tree with its chart', async () => {
    await page.goto(`${api.server.url}/`);
    await page.getByRole('heading', { name: 'Model catalog' }).waitFor();
    await page.getByLabel('Search').fill('tiny');
    await page.getByRole('link', { name: 'bible/tiny-llama-kjv' }).waitFor();
    await shot('catalog');

    await page.getByRole('link', { name: 'bible/tiny-llama-kjv' }).click();
    await page.getByRole('heading', { name: 'bible/tiny-llama-kjv', exact: true, level: 1 }).waitFor();
    await page.getByText('SUCCEEDED').first().waitFor({ timeout: 60_000 });
    await page.getByRole('link', { name: 'Spawn a pruned variant' }).click();

    await page.getByLabel('Pruning fraction').fill('0.4');
    await expect.poll(() => page.getByTestId('plan-summary').textContent(), { timeout: 15_000 }).toContain('8.80 M → 8.10 M');
    await expect(page.getByText('intermediate_size')).toBeTruthy();
    await page.getByLabel('Perplexity data (optional)').fill(join(roots, 'val-small.txt'));
    await page.getByLabel('API token').fill(api.tokens.MAINTAINER);
    await shot('spawn');
    await page.getByRole('button', { name: 'Spawn' }).click();
    await expect.poll(() => page.getByTestId('spawn-status').textContent(), { timeout: 120_000, interval: 500 }).toBe('READY');
    await shot('spawn-ready');

    await page.getByRole('link', { name: 'bible/tiny-llama-kjv-width40-maw' }).click();
    await page.getByRole('heading', { name: 'bible/tiny-llama-kjv-width40-maw', exact: true, level: 1 }).waitFor();
    await page.getByText('Hardware requirements').first().waitFor();
    await page.getByText('intermediate_size').first().waitFor();
    await page.getByTestId('hardware-total').waitFor();
    await shot('model');

    await page.getByRole('link', { name: 'Model tree' }).click();
    await page.getByRole('heading', { name: /Model tree of bible\/tiny-llama-kjv/ }).waitFor();
    await page.getByRole('img', { name: /model tree of bible\/tiny-llama-kjv/ }).waitFor();
    await page.getByRole('img', { name: /perplexity against parameters/ }).waitFor();
    await expect.poll(() => page.getByText('2 models over 2 generations').count()).toBe(1);
    await shot('tree');

    // Phone-sized window: the catalog still reads.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${api.server.url}/#/`);
    await page.getByRole('heading', { name: 'Model catalog' }).waitFor();
    await shot('catalog-phone');
  }, 240_000);

  it('shows a hostile description as text: no script runs, no event handler reaches the page', async () => {
    const hostile = '<img src="x" onerror="window.__pwned = 1"> <script>window.__pwned = 2</script> **still bold**';
    const r = await api.gql('mutation($d: String) { updateModel(model: "bible/tiny-llama-kjv", description: $d) { name } }', {
      d: hostile,
    });
    expect(r.errors).toBeUndefined();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${api.server.url}/#/model/bible/tiny-llama-kjv`);
    await page.getByRole('heading', { name: 'bible/tiny-llama-kjv', exact: true, level: 1 }).waitFor();
    await page.locator('.card strong', { hasText: 'still bold' }).waitFor();
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('.card [onerror], .card script').count()).toBe(0);
  }, 60_000);
});
