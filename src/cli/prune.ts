import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { weightMemory } from '../arch/inspect.js';
import { COMPONENTS } from '../arch/types.js';
import { loadConfig } from '../config.js';
import { BadInputError, BonsaiError } from '../errors.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { methodOf, needsCalibration } from '../pruning/methods/index.js';
import { checkOutput } from '../pruning/output.js';
import { type Plan, planPrune } from '../pruning/plan.js';
import { pruneCheckpoint } from '../pruning/pruneCheckpoint.js';
import { type Recipe, samplesOf } from '../recipes/schema.js';
import { locateDataFile, mapDataFilesAsync } from '../registry/dataNames.js';
import { findStoredCheckpoint } from '../registry/models.js';
import { formatBytes, formatConfigValue, formatInt, table } from './format.js';
import { type RecipeFlags, recipeFromFlags } from './recipeOptions.js';
import { withRegistry } from './registry.js';
import { registryConfig } from './servers.js';

export function renderPlan(plan: Plan): string {
  const { before, after } = plan.parameters;
  const lines = [`method ${plan.recipe.method}`, ''];
  if (plan.changes.length > 0) {
    lines.push(
      table([['config', 'from', 'to'], ...plan.changes.map((c) => [c.field, formatConfigValue(c.from), formatConfigValue(c.to)])]),
      '',
    );
  }
  lines.push(
    table([
      ['parameters', 'before', 'after'],
      ...COMPONENTS.filter((c) => before.byComponent[c] > 0).map((c) => [
        c,
        formatInt(before.byComponent[c]),
        formatInt(after.byComponent[c]),
      ]),
      ['total', formatInt(before.total), formatInt(after.total)],
    ]),
    `change ${plan.changePercent.toFixed(2)} %`,
  );
  const method = methodOf(plan.recipe);
  if (method.needsCalibration(plan.recipe)) {
    const r = plan.recipe as { calibration?: string; samples?: number };
    lines.push(`needs calibration: the model runs over ${samplesOf(r)} tokens of ${r.calibration} before the weights are written`);
  }
  lines.push(...method.summary(plan, { int: formatInt }));
  lines.push(
    '',
    table([['weights', 'bytes', ''], ...Object.entries(weightMemory(after.total)).map(([d, b]) => [d, formatInt(b), formatBytes(b)])]),
  );
  return lines.join('\n');
}

/**
 * The parent checkpoint: a folder, or a registry name (OWNER/NAME) checked out of the artifact
 * store (hard links, removed afterwards), with the hashes the registry has for its files.
 */
async function withParent<T>(input: string, work: (dir: string, parentHashes?: Record<string, string>) => Promise<T>): Promise<T> {
  if (existsSync(input)) return work(resolve(input));
  if (!/^[^/\\]+\/[^/\\]+$/.test(input)) throw new BadInputError('IN', `${input} is neither a folder nor a registry name OWNER/NAME`);
  const registryMissing = (err: unknown) => {
    // A mistyped folder looks like OWNER/NAME: say both readings failed.
    if (err instanceof BonsaiError && err.code === 'BAD_CONFIG')
      throw new BadInputError('IN', `${input} is not a folder, and ${err.message}`);
    throw err;
  };
  return withRegistry('prune', async (deps) => {
    const { store } = deps;
    const { files } = await findStoredCheckpoint(deps, input, 'IN').catch((err: unknown) => {
      if (err instanceof BonsaiError && err.code === 'NOT_FOUND')
        throw new BadInputError('IN', `${input} is neither a folder nor a model in the registry`);
      throw err;
    });
    const dir = await store.tempDir('cli-parent');
    try {
      await store.checkout(files, dir, undefined, { inPlace: true });
      return await work(dir, Object.fromEntries(files.map((f) => [f.path, f.sha256])));
    } finally {
      store.release(dir);
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}.pieces`, { recursive: true, force: true });
    }
  }).catch(registryMissing);
}

/** The import roots of the registry the CLI would use, else of this environment: where recorded data names lie. */
function dataRoots(): readonly string[] {
  try {
    return registryConfig().config.modelRoots;
  } catch {
    return loadConfig().modelRoots;
  }
}

/**
 * The recipe with its data files found: as written, else under an import root, since a card
 * records them by their name under the root that holds them (src/registry/dataNames.ts).
 */
async function locateData(recipe: Recipe): Promise<Recipe> {
  const roots = dataRoots();
  return mapDataFilesAsync(recipe, (name) => locateDataFile(name, roots));
}

export async function plan(input: string, flags: RecipeFlags & { json?: boolean }): Promise<void> {
  const recipe = await locateData(recipeFromFlags(flags));
  await withParent(input, async (dir) => planFolder(dir, recipe, flags));
}

async function planFolder(dir: string, recipe: Recipe, flags: { json?: boolean }): Promise<void> {
  const folder = await readCheckpointFolder(resolve(dir));
  // A plan that depends on data (vocabulary trimming: the size follows from the corpus) reads it first; no weight is read.
  const method = methodOf(recipe);
  if (method.preparing) process.stderr.write(`${method.preparing}…\n`);
  const prepared = method.prepare?.(resolve(dir), folder.config, recipe);
  const p = planPrune(folder.config, recipe, resolve(dir, 'config.json'), prepared);
  process.stdout.write(flags.json ? `${JSON.stringify(p, null, 2)}\n` : `${renderPlan(p)}\n`);
}

export async function pruneCommand(input: string, output: string, flags: RecipeFlags & { maxShardSize?: string }): Promise<void> {
  const recipe = await locateData(recipeFromFlags(flags));
  checkOutput(resolve(output));
  await withParent(input, (dir, parentHashes) => pruneFolder(dir, output, recipe, flags, parentHashes));
}

async function pruneFolder(
  input: string,
  output: string,
  recipe: Recipe,
  flags: { maxShardSize?: string },
  parentHashes: Record<string, string> | undefined,
): Promise<void> {
  const tty = process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar({ format: '{stage} [{bar}] {percentage}% {detail}', hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(100, 0, { stage: 'starting', detail: '' });
  let lastLine = -1;
  // Kept until the weights are written: the least-squares refit reads its Gram matrices from here.
  const tmp = needsCalibration(recipe) ? mkdtempSync(join(tmpdir(), 'bonsai-calibrate-')) : undefined;
  let result: Awaited<ReturnType<typeof pruneCheckpoint>>;
  try {
    const config = tmp ? loadConfig() : undefined;
    result = await pruneCheckpoint(resolve(input), resolve(output), recipe, {
      // Data-driven criteria: calibration on the evaluation engine decides the blocks or the norms first.
      calibration:
        tmp && config
          ? {
              cacheDir: join(config.home, 'onnx-cache'),
              threads: config.threads,
              fileHashes: parentHashes,
              tmp,
              onProgress: (stage, f) => bar?.update(Math.round(f * 100), { stage, detail: '' }),
            }
          : undefined,
      parentHashes,
      maxShardBytes: flags.maxShardSize ? Number(flags.maxShardSize) : undefined,
      onProgress: (p) => {
        const pct = Math.round(p.progress * 100);
        if (bar) bar.update(pct, { stage: p.stage.padEnd(8), detail: p.detail ?? '' });
        else if (pct >= lastLine + 10) {
          lastLine = pct;
          process.stderr.write(`${p.stage} ${pct}%\n`);
        }
      },
    }).finally(() => bar?.stop());
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`${renderPlan(result.plan)}\n\nwrote ${result.outDir}: ${result.files.join(', ')}\n`);
  if (result.nonZero !== undefined) process.stdout.write(`non-zero projection weights: ${formatInt(result.nonZero)}\n`);
}
