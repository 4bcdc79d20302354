// Writing a derived checkpoint folder atomically: everything goes to a temporary sibling folder,
// which is renamed into place only when complete, so a crash never leaves a half-written model.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BadInputError } from '../errors.js';
import { TOKENIZER_FILES } from '../formats/checkpoint/folder.js';
import { isModuleConfig, SENTENCE_TRANSFORMERS_FILES } from '../formats/checkpoint/sentenceTransformers.js';
import { sha256File } from '../sha256.js';

export const RECIPE_FILE = 'bonsai_recipe.json';

/** sha256 of the named files of a folder (the parent checkpoint's files), by name, sorted. */
export async function hashFolder(dir: string, names: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of [...names].sort()) out[n] = await sha256File(join(dir, n));
  return out;
}

/**
 * Random 64-hex stand-ins for the sha256 of each file `hashFolder` will hash (same names, same
 * order), written into safetensors headers before the real hashes are known.
 */
export function hashStandIns(names: readonly string[]): Record<string, string> {
  return Object.fromEntries([...names].sort().map((n) => [n, randomBytes(32).toString('hex')]));
}

/** Replaces the stand-ins in the headers of the written shards by the real hashes, in place. */
export async function patchStandIns(
  dir: string,
  files: readonly string[],
  standIns: Record<string, string>,
  hashes: Record<string, string>,
): Promise<void> {
  const names = Object.keys(standIns);
  if (names.length !== Object.keys(hashes).length || names.some((n) => !hashes[n]))
    throw new BadInputError('in', `the parent folder changed while it was being pruned (files: ${Object.keys(hashes).join(', ')})`);
  for (const f of files.filter((n) => n.endsWith('.safetensors'))) {
    const handle = await open(join(dir, f), 'r+');
    try {
      const size = Buffer.alloc(8);
      await handle.read(size, 0, 8, 0);
      const header = Buffer.alloc(Number(size.readBigUInt64LE(0)));
      await handle.read(header, 0, header.length, 8);
      let text = header.toString('utf8');
      for (const n of names) text = text.replace(standIns[n]!, hashes[n]!);
      const patched = Buffer.from(text, 'utf8');
      // Hex for hex: the header keeps its length, so no offset moves.
      if (patched.length !== header.length) throw new Error(`patching the header of ${f} changed its length`);
      await handle.write(patched, 0, patched.length, 8);
    } finally {
      await handle.close();
    }
  }
}

/**
 * Files a derived checkpoint inherits unchanged. A list, not "everything else": a parent's
 * README or evaluation results describe the parent, not its child.
 */
export const INHERITED = new Set<string>([
  ...TOKENIZER_FILES,
  'generation_config.json',
  'chat_template.jinja',
  'chat_template.json',
  ...SENTENCE_TRANSFORMERS_FILES,
]);

export async function copyInherited(parentDir: string, outDir: string, parentFiles: readonly string[]): Promise<void> {
  for (const n of parentFiles.filter((f) => INHERITED.has(f) || isModuleConfig(f))) {
    await mkdir(dirname(join(outDir, n)), { recursive: true });
    await copyFile(join(parentDir, n), join(outDir, n));
  }
}

/** Refuses an output folder that exists already, before any work starts. */
export function checkOutput(outDir: string): void {
  if (existsSync(outDir)) throw new BadInputError('out', `${outDir} already exists; choose a new folder`);
  if (!existsSync(dirname(outDir))) throw new BadInputError('out', `the parent folder ${dirname(outDir)} does not exist`);
}

export async function withAtomicFolder<T>(outDir: string, write: (tmp: string) => Promise<T>): Promise<T> {
  checkOutput(outDir);
  const tmp = join(dirname(outDir), `.${basename(outDir)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    const result = await write(tmp);
    await rename(tmp, outDir);
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
