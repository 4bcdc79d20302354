// `bonsai card DIR`: the card of a local checkpoint, with no registry: the numbers come from the
// tensors, the lineage from bonsai_recipe.json when Bonsai made the folder.
// `bonsai export NAME OUT`: a registry model written out as a folder with its README.md.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { inspectCheckpoint } from '../arch/inspect.js';
import type { CardInput, CardParent } from '../cards/input.js';
import { renderCard } from '../cards/render.js';
import { loadConfig } from '../config.js';
import { BadInputError } from '../errors.js';
import { readLocalResults, resultsFileFor } from '../eval/localResults.js';
import { readCheckpointFolder, readJsonObjectSync } from '../formats/checkpoint/folder.js';
import type { HeldOutReport } from '../pruning/heldOut.js';
import { RELATION_OF_METHOD } from '../pruning/methods/index.js';
import { RECIPE_FILE } from '../pruning/output.js';
import { modelCard } from '../registry/cards.js';
import { findStoredCheckpoint } from '../registry/models.js';
import { withRegistry } from './registry.js';

interface RecipeFile {
  recipe: Record<string, unknown> & { method: keyof typeof RELATION_OF_METHOD };
  result?: {
    parameters_before?: number;
    config_changes?: Array<{ field: string; from: unknown; to: unknown }>;
    non_zero_in_target_matrices?: number;
    target_parameters?: number;
    reconstruction?: HeldOutReport;
  };
}

export async function localCardInput(
  dir: string,
  opts: { name?: string; baseModel?: string; contextLength?: number; evalResults?: string },
): Promise<CardInput> {
  const report = await inspectCheckpoint(dir);
  const config = (await readCheckpointFolder(dir)).config;
  const parents: CardParent[] = [];
  const recipePath = join(dir, RECIPE_FILE);
  // Under the JSON reading policy (src/formats/json.ts), like every file of a checkpoint folder.
  const recipeFile = readJsonObjectSync(recipePath);
  if (recipeFile) {
    const file = recipeFile as unknown as RecipeFile;
    // The parent's config is the child's with every recorded change undone.
    const parentConfig = { ...config };
    for (const c of file.result?.config_changes ?? []) parentConfig[c.field] = c.from;
    parents.push({
      name: opts.baseModel ?? `the parent folder (its files' sha256 are in ${RECIPE_FILE})`,
      unnamed: opts.baseModel === undefined,
      relation: RELATION_OF_METHOD[file.recipe.method] ?? 'DERIVED',
      recipe: file.recipe,
      result:
        file.result?.non_zero_in_target_matrices !== undefined
          ? { nonZero: file.result.non_zero_in_target_matrices, targetParameters: file.result.target_parameters }
          : file.result?.reconstruction
            ? { reconstruction: file.result.reconstruction }
            : null,
      config: parentConfig,
      parameterCount: file.result?.parameters_before ?? null,
    });
  }
  return {
    name: opts.name ?? `local/${basename(dir)}`,
    config,
    parameterCount: report.parameters.fromTensors.total,
    dtype: report.dtype,
    parents,
    // What `bonsai eval DIR` measured (kept in Bonsai's data folder, or the file --eval-results names).
    evaluations: readLocalResults(opts.evalResults ?? resultsFileFor(loadConfig().home, dir), dir),
    contextLength: opts.contextLength,
    parentLocation: opts.baseModel ? undefined : 'PARENT_DIR',
  };
}

export async function card(
  dir: string,
  opts: { name?: string; baseModel?: string; contextLength?: number; json?: boolean; evalResults?: string },
): Promise<void> {
  const c = renderCard(await localCardInput(dir, opts));
  process.stdout.write(opts.json ? `${JSON.stringify(c.metadata, null, 2)}\n` : c.markdown);
}

export async function exportModel(name: string, out: string): Promise<void> {
  await withRegistry('export', async (deps) => {
    const { store } = deps;
    if (existsSync(out)) throw new BadInputError('OUT', `${out} exists already; choose a new folder`);
    const { model, files } = await findStoredCheckpoint(deps, name, 'NAME');
    const tmp = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
    await mkdir(tmp, { recursive: true });
    try {
      // Copies, not links: an exported folder is for others and must not write through to the store.
      for (const f of files) {
        await store.copyBlob(f.sha256, join(tmp, f.path));
      }
      await writeFile(join(tmp, 'README.md'), (await modelCard(deps, model)).markdown);
      await rename(tmp, out);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    process.stdout.write(`wrote ${name} to ${out} (${files.length} files and README.md)\n`);
  });
}
