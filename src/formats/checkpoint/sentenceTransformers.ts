// sentence-transformers folders (multilingual E5, bge-m3, granite-embedding, paraphrase-multilingual
// …): the transformer's Hugging Face files at the top, `modules.json` naming the pipeline, and one
// subfolder per later module (`1_Pooling/config.json`, `2_Normalize/`), as
// SentenceTransformer.save writes them. Bonsai keeps these files with the checkpoint and reads the
// pooling mode from them. At registration every one of these files is read with the import roots
// (src/formats/regularFile.ts): a module config that is a link out of them is FORBIDDEN.
import { join } from 'node:path';
import { BonsaiError } from '../../errors.js';
import { parseJsonBytes } from '../json.js';
import { NotRegularFileError, readRegularFile } from '../regularFile.js';
import { CheckpointError, type JsonObject, parseJsonObject, readJsonObject } from './folder.js';

export const SENTENCE_TRANSFORMERS_FILES = ['modules.json', 'sentence_bert_config.json', 'config_sentence_transformers.json'] as const;

/** modules.json is a short list; anything larger is not one. */
const MAX_MODULES_BYTES = 1 << 20;

interface ModuleEntry {
  path: string;
  type: string;
}

/**
 * modules.json's entries, through the confined opener when `roots` are given. A file that is not
 * one (not a regular file, too large, not a JSON list) is a CheckpointError naming it:
 * sentence-transformers could not load the folder either.
 */
async function readModules(dir: string, roots?: readonly string[]): Promise<ModuleEntry[]> {
  const file = join(dir, 'modules.json');
  let parsed: unknown;
  try {
    parsed = parseJsonBytes(await readRegularFile(file, MAX_MODULES_BYTES, { roots }), file, { maxBytes: MAX_MODULES_BYTES });
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new CheckpointError(file, String(err.details.problem));
    if (err instanceof BonsaiError && err.code === 'BAD_USER_INPUT') throw new CheckpointError(file, String(err.details.problem));
    throw err;
  }
  if (!Array.isArray(parsed)) throw new CheckpointError(file, 'must be a JSON list of modules');
  return parsed.flatMap((m) =>
    m && typeof m === 'object' && typeof m.path === 'string' && typeof m.type === 'string' ? [{ path: m.path, type: m.type }] : [],
  );
}

/** A module's config.json holds a few settings (Pooling's is 300 bytes); anything larger is not one. */
export const MAX_MODULE_CONFIG_BYTES = 1 << 20;

/**
 * A module's config.json (`1_Pooling/config.json`) as a JSON object, read under the JSON reading
 * policy with MAX_MODULE_CONFIG_BYTES; anything else is CheckpointError naming the file, so a huge
 * or broken one is refused at registration instead of stored.
 */
export function readModuleConfig(dir: string, name: string, roots?: readonly string[]): Promise<JsonObject> {
  return readJsonObject(join(dir, name), MAX_MODULE_CONFIG_BYTES, roots);
}

/**
 * Modules whose `load` reads `config.json` and fails without it (sentence-transformers'
 * models/Pooling.py and models/Dense.py); Normalize reads nothing, and a custom module's needs are
 * unknown, so its config is kept when present and not asked for when absent.
 */
const NEEDS_CONFIG = /(^|\.)(Pooling|Dense)$/;

/** A module subfolder name as modules.json gives it: one plain path segment, nothing that climbs out. */
const MODULE_FOLDER = /^[A-Za-z0-9_.-]+$/;

/**
 * The module configurations a sentence-transformers folder carries (e.g. `1_Pooling/config.json`),
 * each checked as it will be stored: inside the roots (FORBIDDEN otherwise, whether or not the
 * link's target exists), a regular file, at most MAX_MODULE_CONFIG_BYTES, a JSON object under the
 * reading policy. A Pooling or Dense module without its config is refused: it cannot load.
 */
export async function moduleConfigFiles(dir: string, roots?: readonly string[]): Promise<Array<{ name: string; size: number }>> {
  const out: Array<{ name: string; size: number }> = [];
  for (const m of await readModules(dir, roots)) {
    if (!m.path || !MODULE_FOLDER.test(m.path) || m.path === '.' || m.path === '..') continue;
    const name = `${m.path}/config.json`;
    const path = join(dir, name);
    let bytes: Buffer;
    try {
      // A link out of the roots is an OutsideRootsError (FORBIDDEN) here, before anything is opened.
      bytes = await readRegularFile(path, MAX_MODULE_CONFIG_BYTES, { roots });
    } catch (err) {
      if (!(err instanceof NotRegularFileError)) throw err;
      const problem = String(err.details.problem);
      if (problem !== 'missing') throw new CheckpointError(path, problem);
      if (NEEDS_CONFIG.test(m.type))
        throw new CheckpointError(path, `missing; sentence-transformers' ${m.type} module cannot load without it`);
      continue;
    }
    parseJsonObject(bytes, path, MAX_MODULE_CONFIG_BYTES);
    out.push({ name, size: bytes.length });
  }
  return out;
}

/** Whether a checkpoint file name is a sentence-transformers module configuration. */
export function isModuleConfig(name: string): boolean {
  const parts = name.split('/');
  return parts.length === 2 && MODULE_FOLDER.test(parts[0]!) && parts[1] === 'config.json';
}

export type Pooling = 'mean' | 'cls';

/**
 * The pooling of a sentence-transformers folder (its Pooling module's config: pooling_mode_cls_token
 * or pooling_mode_mean_tokens); mean pooling otherwise, the sentence-transformers default.
 */
export async function poolingOf(dir: string): Promise<Pooling> {
  // A checkout of a registered model: its modules.json was checked at registration.
  for (const m of await readModules(dir).catch(() => [])) {
    if (!m.type.endsWith('.Pooling') || !MODULE_FOLDER.test(m.path)) continue;
    try {
      const config = await readModuleConfig(dir, `${m.path}/config.json`);
      if (config.pooling_mode_cls_token === true) return 'cls';
    } catch {
      // No readable pooling config: the default below.
    }
  }
  return 'mean';
}
