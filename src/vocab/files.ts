// Writes the trimmed tokenizer files into a child checkpoint folder, replacing the copies
// inherited from the parent.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonObjectSync } from '../formats/checkpoint/folder.js';
import { readTokenizerFilesSync } from '../formats/checkpoint/tokenizerFiles.js';
import type { TokenizerJson } from './bpe.js';
import { idMap, rewriteTokenIds, rewriteTokenizerConfig, rewriteTokenizerJson } from './rewrite.js';
import { takeSelectedFrom, type VocabSelection } from './select.js';

export async function writeTrimmedTokenizer(parentDir: string, outDir: string, vocab: VocabSelection): Promise<void> {
  const map = idMap(vocab.kept);
  const files = takeSelectedFrom(vocab, parentDir) ?? readTokenizerFilesSync(parentDir, 'vocabulary trimming');
  const tokenizer = rewriteTokenizerJson(files.json as unknown as TokenizerJson, map);
  await writeFile(join(outDir, 'tokenizer.json'), `${JSON.stringify(tokenizer, null, 2)}\n`);
  if (existsSync(join(parentDir, 'tokenizer_config.json')))
    await writeFile(join(outDir, 'tokenizer_config.json'), `${JSON.stringify(rewriteTokenizerConfig(files.config, map), null, 2)}\n`);
  // Read under the JSON reading policy (src/formats/json.ts), like every checkpoint file.
  const gen = readJsonObjectSync(join(parentDir, 'generation_config.json'));
  if (gen)
    await writeFile(
      join(outDir, 'generation_config.json'),
      `${JSON.stringify(rewriteTokenIds(gen, map, 'generation_config.json'), null, 2)}\n`,
    );
}
