// Which files of a folder make up a Hugging Face checkpoint, the way `from_pretrained` reads one:
// config.json, the safetensors weights (model.safetensors, or the shards its index names),
// generation_config.json, the tokenizer files and chat templates, and the small text files that
// describe the model (model card, license, Bonsai's recipe). Everything else is left out with the
// reason: optimizer and scheduler states, pickled weights (`*.bin`, `*.pt`: Bonsai reads only
// safetensors), training arguments, subfolders (but a sentence-transformers module's config.json),
// anything else. Symbolic links count as the file
// they point to (a Hugging Face cache snapshot is all links into ../../blobs/); with the import
// roots given (registration), a link is followed inside them only, and a file the checkpoint
// needs that leads out of them is FORBIDDEN (src/formats/roots.ts, src/formats/regularFile.ts).
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OutsideRootsError } from '../regularFile.js';
import { followInside } from '../roots.js';
import { CheckpointError, TOKENIZER_FILES } from './folder.js';
import { moduleConfigFiles, SENTENCE_TRANSFORMERS_FILES } from './sentenceTransformers.js';
import { INDEX_FILE, readIndex, SINGLE_FILE } from './tensors.js';

export interface CheckpointFile {
  name: string;
  size: number;
}

export interface SkippedFile {
  name: string;
  /** Bytes, or null for something that is not a regular file. */
  size: number | null;
  reason: string;
}

/** Files a checkpoint may carry besides its weights, by exact name. */
export const DESCRIPTIVE_FILES = new Set<string>([
  'config.json',
  'generation_config.json',
  ...TOKENIZER_FILES,
  'chat_template.jinja',
  'chat_template.json',
  'README.md',
  'LICENSE',
  'LICENSE.txt',
  'LICENSE.md',
  'NOTICE',
  'USE_POLICY.md',
  'bonsai_recipe.json',
  ...SENTENCE_TRANSFORMERS_FILES,
]);

const PICKLE = /\.(bin|pt|pth|pkl|pickle|ckpt)$/;
const TRAINING_STATE = /^(optimizer|scheduler|rng_state|trainer_state|training_args)/;

function skipReason(name: string): string {
  if (TRAINING_STATE.test(name)) return 'training state, not part of the model';
  if (PICKLE.test(name)) return 'pickled weights: Bonsai reads only safetensors (pickles can run code when loaded)';
  if (name.endsWith('.safetensors')) return `weights not named by ${INDEX_FILE} or ${SINGLE_FILE}`;
  if (name === 'bonsai_eval.json') return 'local evaluation results; evaluate in the registry instead';
  return 'not a file of a Hugging Face checkpoint';
}

async function statEntry(path: string, roots?: readonly string[]): Promise<{ regular: boolean; size: number } | 'outside' | null> {
  let real = path;
  if (roots) {
    // Nothing outside the roots is looked at, not even with stat.
    const walk = await followInside(path, roots);
    if (walk.kind === 'outside') return 'outside';
    if (walk.kind !== 'inside') return null;
    real = walk.real;
  }
  try {
    // stat follows links: a link is the file it points to.
    const s = await stat(real);
    return { regular: s.isFile(), size: s.size };
  } catch {
    return null;
  }
}

/**
 * The checkpoint's files (sorted by name) and what else the folder holds, with the reason it is
 * not part of the checkpoint. Fails, naming the file, when a weight file the checkpoint needs is
 * missing or not a regular file (a FIFO would block whoever reads it).
 */
export async function checkpointFiles(
  dir: string,
  roots?: readonly string[],
): Promise<{ files: CheckpointFile[]; skipped: SkippedFile[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = new Set(entries.map((e) => e.name));
  const weights = new Set<string>();
  if (names.has(INDEX_FILE)) {
    weights.add(INDEX_FILE);
    const index = await readIndexWeightFiles(join(dir, INDEX_FILE), roots);
    for (const shard of index) weights.add(shard);
  } else if (names.has(SINGLE_FILE)) {
    weights.add(SINGLE_FILE);
  } else {
    throw new CheckpointError(join(dir, SINGLE_FILE), `missing: the folder has neither ${SINGLE_FILE} nor ${INDEX_FILE}`);
  }
  const files: CheckpointFile[] = [];
  const skipped: SkippedFile[] = [];
  // A sentence-transformers folder's module configs (1_Pooling/config.json) belong to the model.
  const modules = names.has('modules.json') ? await moduleConfigFiles(dir, roots) : [];
  for (const name of [...weights, 'config.json']) {
    if (!names.has(name)) throw new CheckpointError(join(dir, name), 'missing');
  }
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const wanted = weights.has(e.name) || DESCRIPTIVE_FILES.has(e.name);
    // A module's folder (or a link to one inside the roots): its config was checked, read and
    // bounded by moduleConfigFiles already.
    const moduleConfig = modules.find((m) => m.name.startsWith(`${e.name}/`));
    if (moduleConfig) {
      files.push(moduleConfig);
      continue;
    }
    if (e.isDirectory()) {
      skipped.push({ name: `${e.name}/`, size: null, reason: 'a subfolder; a checkpoint is the files at the top of the folder' });
      continue;
    }
    const s = await statEntry(join(dir, e.name), roots);
    if (s === 'outside') {
      if (wanted) throw new OutsideRootsError(join(dir, e.name), 'path', false);
      skipped.push({ name: e.name, size: null, reason: 'a link leading outside the import roots' });
      continue;
    }
    if (!s?.regular) {
      const what = s === null ? 'a link to nothing' : 'not a regular file';
      if (wanted) throw new CheckpointError(join(dir, e.name), `${what}; the checkpoint needs this file`);
      skipped.push({ name: e.name, size: null, reason: what });
      continue;
    }
    if (wanted) files.push({ name: e.name, size: s.size });
    else skipped.push({ name: e.name, size: s.size, reason: skipReason(e.name) });
  }
  return { files, skipped };
}

async function readIndexWeightFiles(path: string, roots?: readonly string[]): Promise<string[]> {
  return [...new Set(Object.values((await readIndex(path, roots)).weight_map))];
}
