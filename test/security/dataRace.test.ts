// A data file swapped for a link out of the roots while the job runs is never read (issue 26's
// hardening, attacker item 1). The job checks a data file's containment when it resolves the name;
// the core used to read it again by path later — the second corpus file after the first had been
// counted — so `rm victim.txt; ln -s /outside/secret victim.txt` in between published the secret.
// Made deterministic by running the real task handlers in this process with a reporter that swaps
// the link at the moment the job reports a stage reached after the files were resolved: the vocab
// count's progress after 2,000 lines of the first corpus file, the calibration's ONNX export, the
// evaluation's checkout. Each job must then use the file as it was when checked.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipeInput } from '../../src/recipes/fields.js';
import { DataStaging } from '../../src/registry/dataStaging.js';
import { resolveDataFile } from '../../src/registry/importPath.js';
import { evaluateTask } from '../../workers/evaluate.js';
import type { JobReporter } from '../../workers/progress.js';
import { pruneTask } from '../../workers/prune.js';
import { runTask, type Task } from '../../workers/task.js';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;
const root = tempDir('bonsai-race-root-');
const outside = tempDir('bonsai-race-outside-');
const SECRET = join(outside, 'secret.txt');
// Characters the KJV text and the German corpus never use, each a token of the Llama-2 vocabulary.
const SECRET_TEXT = '秘密 Ωμέγα 秘密 Ωμέγα\n'.repeat(40);
const VICTIM = join(root, 'data', 'victim.txt');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
let victimSha: string;

beforeAll(async () => {
  cpSync(sharedModel, join(root, 'tiny-llama-kjv'), { recursive: true });
  mkdirSync(join(root, 'data'));
  // 2,100 lines: the count reports progress (every 2,000 lines) while this first file is read.
  const german = readFileSync(join(sharedDir, 'data', 'fortunes-de.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  writeFileSync(join(root, 'data', 'big.txt'), german.slice(0, 2100).join('\n'));
  writeFileSync(SECRET, SECRET_TEXT);
  api = await startTestApi({ modelRoots: [root] });
  await api.register(join(root, 'tiny-llama-kjv'), 'bible/tiny-llama-kjv');
}, 60_000);
afterAll(async () => {
  await api?.close();
});

/** victim.txt as a plain file of KJV text (restored before each case). */
function restoreVictim(): void {
  rmSync(VICTIM, { force: true });
  const text = readFileSync(join(sharedDir, 'data', 'kjv-val.txt'), 'utf8')
    .split('\n')
    .slice(0, 300)
    .join('\n');
  writeFileSync(VICTIM, text);
  victimSha = sha256(text);
}

function swapToSecret(): void {
  rmSync(VICTIM);
  symlinkSync(SECRET, VICTIM);
}

/** Runs the queued job of `kind` in this process; the reporter calls `onStage` at each new stage. */
async function runJob(kind: 'PRUNE' | 'EVALUATE', onStage: (stage: string) => void): Promise<void> {
  const job = await api.db.prisma.job.findFirstOrThrow({ where: { kind }, orderBy: { createdAt: 'desc' } });
  const seen = new Set<string>();
  const reporter = {
    update(stage: string) {
      if (!seen.has(stage)) onStage(stage);
      seen.add(stage);
    },
    note() {},
  } as unknown as JobReporter;
  const tmp = tempDir('bonsai-race-job-');
  await runTask([pruneTask, evaluateTask] as unknown as Task<never>[], {
    deps: api.registry,
    job,
    reporter,
    signal: new AbortController().signal,
    tmp,
    threads: 1,
  });
}

async function spawn(recipe: Record<string, unknown>): Promise<string> {
  const r = await api.gql<{ spawnPrunedVariant: { model: { name: string } } }>(
    'mutation($r: PruningRecipeInput!) { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", recipe: $r) { model { name } } }',
    { r: recipeInput(recipe) },
  );
  expect(r.errors).toBeUndefined();
  return r.data!.spawnPrunedVariant.model.name;
}

async function download(name: string, file: string): Promise<string> {
  const res = await fetch(`${api.server.url}/${name}/resolve/main/${file}`);
  expect(res.status).toBe(200);
  return res.text();
}

describe('a data file swapped for a link out of the roots during the job', () => {
  it('vocab trim: the second corpus file is the one checked, not the secret linked in while the first is counted', async () => {
    restoreVictim();
    const name = await spawn({ method: 'vocab', corpus: ['data/big.txt', 'data/victim.txt'] });
    let swapped = false;
    await runJob('PRUNE', (stage) => {
      if (stage === 'counting') {
        swapToSecret();
        swapped = true;
      }
    });
    expect(swapped).toBe(true);
    const recipe = await download(name, 'bonsai_recipe.json');
    expect(recipe).toContain(victimSha);
    expect(recipe).not.toContain(sha256(SECRET_TEXT));
    const tokenizer = await download(name, 'tokenizer.json');
    for (const c of ['秘', 'Ω', 'έ']) expect(tokenizer.includes(c), `tokenizer.json has the secret's ${c}`).toBe(false);
  }, 60_000);

  it('calibration: the text calibrated on is the one checked', async () => {
    restoreVictim();
    const name = await spawn({ method: 'sparsity', criterion: 'wanda', pattern: '2:4', calibration: 'data/victim.txt', samples: 64 });
    await runJob('PRUNE', (stage) => {
      // The ONNX export comes after the job resolved the file and before it reads the tokens.
      if (stage === 'export') swapToSecret();
    });
    const recipe = JSON.parse(await download(name, 'bonsai_recipe.json')) as { result: { calibration: { file: string; sha256: string } } };
    expect(recipe.result.calibration).toEqual({ file: 'victim.txt', sha256: victimSha });
  }, 60_000);

  it('evaluation: the data scored is the one checked', async () => {
    restoreVictim();
    const r = await api.gql(
      'mutation { evaluateModel(model: "bible/tiny-llama-kjv", tasks: [{ task: "perplexity", data: "data/victim.txt", contextLength: 32, limit: 4 }]) { id } }',
    );
    expect(r.errors).toBeUndefined();
    await runJob('EVALUATE', (stage) => {
      // The checkout comes after the job resolved the file and before the task reads it.
      if (stage === 'checkout') swapToSecret();
    });
    const rows = await api.db.prisma.evaluation.findMany({ where: { task: 'perplexity' } });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.datasetHash).toBe(victimSha);
  }, 60_000);
});

describe('DataStaging', () => {
  it('copies the file as checked; a later swap changes nothing, and staging after it is FORBIDDEN like resolving', async () => {
    restoreVictim();
    const staging = new DataStaging([root], tempDir('bonsai-race-staging-'));
    const copy = await staging.stage('data/victim.txt', 'recipe.corpus.0');
    expect(copy.endsWith('/victim.txt')).toBe(true);
    expect(await staging.stage(VICTIM, 'recipe.corpus.1')).toBe(copy);
    swapToSecret();
    expect(sha256(readFileSync(copy))).toBe(victimSha);
    const staged = await staging.stage('data/victim.txt', 'recipe.corpus.2').then(
      () => null,
      (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
    );
    const resolved = await resolveDataFile('data/victim.txt', [root], 'recipe.corpus.2').then(
      () => null,
      (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
    );
    expect(staged).toEqual({ code: 'FORBIDDEN', message: expect.stringMatching(/leads outside the allowed roots/) });
    expect(staged).toEqual(resolved);
  });

  it('an error of the core names the data file as the recipe did, not the private copy', async () => {
    restoreVictim();
    const staging = new DataStaging([root], tempDir('bonsai-race-staging-'));
    const copy = await staging.stage('data/victim.txt', 'data');
    const err = await staging
      .naming(async () => {
        throw new Error(`${copy} line 3: not valid JSON`);
      })
      .catch((e: Error) => e);
    expect(err.message).toBe('data/victim.txt line 3: not valid JSON');
  });
});
