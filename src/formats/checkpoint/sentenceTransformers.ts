// sentence-transformers folders (multilingual E5, bge-m3, granite-embedding, paraphrase-multilingual
// …): the transformer's Hugging Face files at the top, `modules.json` naming the pipeline, and one
// subfolder per later module (`1_Pooling/config.json`, `2_Normalize/`), as
// SentenceTransformer.save writes them. Bonsai keeps these files with the checkpoint and reads the
// pooling mode from them.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonBytes } from '../json.js';
import { type JsonObject, readJsonObject } from './folder.js';

export const SENTENCE_TRANSFORMERS_FILES = ['modules.json', 'sentence_bert_config.json', 'config_sentence_transformers.json'] as const;

/** modules.json is a short list; anything larger is not one. */
const MAX_MODULES_BYTES = 1 << 20;

interface ModuleEntry {
  path: string;
  type: string;
}

async function readModules(dir: string): Promise<ModuleEntry[]> {
  const file = join(dir, 'modules.json');
  try {
    const s = await stat(file);
    if (!s.isFile() || s.size > MAX_MODULES_BYTES) return [];
    const parsed = parseJsonBytes(await readFile(file), file, { maxBytes: MAX_MODULES_BYTES });
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((m) =>
      m && typeof m === 'object' && typeof m.path === 'string' && typeof m.type === 'string' ? [{ path: m.path, type: m.type }] : [],
    );
  } catch {
    return [];
  }
}

/** A module's config.json holds a few settings (Pooling's is 300 bytes); anything larger is not one. */
export const MAX_MODULE_CONFIG_BYTES = 1 << 20;

/**
 * A module's config.json (`1_Pooling/config.json`) as a JSON object, read under the JSON reading
 * policy with MAX_MODULE_CONFIG_BYTES; anything else is CheckpointError naming the file, so a huge
 * or broken one is refused at registration instead of stored.
 */
export function readModuleConfig(dir: string, name: string): Promise<JsonObject> {
  return readJsonObject(join(dir, name), MAX_MODULE_CONFIG_BYTES);
}

/** A module subfolder name as modules.json gives it: one plain path segment, nothing that climbs out. */
const MODULE_FOLDER = /^[A-Za-z0-9_.-]+$/;

/** The module configurations a sentence-transformers folder carries (e.g. `1_Pooling/config.json`). */
export async function moduleConfigFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const m of await readModules(dir)) {
    if (!m.path || !MODULE_FOLDER.test(m.path) || m.path === '.' || m.path === '..') continue;
    const s = await stat(join(dir, m.path, 'config.json')).catch(() => null);
    if (s?.isFile()) out.push(`${m.path}/config.json`);
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
  for (const m of await readModules(dir)) {
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
