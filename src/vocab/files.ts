// Writes the trimmed tokenizer files into a child checkpoint folder, replacing the copies
// inherited from the parent.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTokenizerFilesSync } from '../formats/checkpoint/tokenizerFiles.js';
import type { TokenizerJson } from './bpe.js';
import { idMap, rewriteTokenIds, rewriteTokenizerConfig, rewriteTokenizerJson } from './rewrite.js';
import type { VocabSelection } from './select.js';

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

export async function writeTrimmedTokenizer(parentDir: string, outDir: string, vocab: VocabSelection): Promise<void> {
  const map = idMap(vocab.kept);
  const files = readTokenizerFilesSync(parentDir, 'vocabulary trimming');
  const tokenizer = rewriteTokenizerJson(files.json as unknown as TokenizerJson, map);
  await writeFile(join(outDir, 'tokenizer.json'), `${JSON.stringify(tokenizer, null, 2)}\n`);
  if (existsSync(join(parentDir, 'tokenizer_config.json')))
    await writeFile(join(outDir, 'tokenizer_config.json'), `${JSON.stringify(rewriteTokenizerConfig(files.config, map), null, 2)}\n`);
  const gen = join(parentDir, 'generation_config.json');
  if (existsSync(gen))
    await writeFile(
      join(outDir, 'generation_config.json'),
      `${JSON.stringify(rewriteTokenIds(readJson(gen), map, 'generation_config.json'), null, 2)}\n`,
    );
}
