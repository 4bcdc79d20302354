// Two small corpus files cut from kjv-val.txt (verses 1–40 and 41–60) and the shared model's
// tokenizer, for the corpus-counting tests: what they check does not depend on the corpus size.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTokenizerFilesSync } from '../../src/formats/checkpoint/tokenizerFiles.js';
import type { TokenizerJson } from '../../src/vocab/bpe.js';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { tempDir } from './tmp.js';

export function kjvCorpus(label: string) {
  const tmp = tempDir(`bonsai-${label}-`);
  const lines = readFileSync(join(sharedDir, 'data', 'kjv-val.txt'), 'utf8').split('\n');
  const a = join(tmp, 'a.txt');
  const b = join(tmp, 'b.txt');
  writeFileSync(a, lines.slice(0, 40).join('\n'));
  writeFileSync(b, lines.slice(40, 60).join('\n'));
  const files = readTokenizerFilesSync(sharedModel, 'the test');
  return { tmp, lines, a, b, tokenizer: { json: files.json as unknown as TokenizerJson, config: files.config } };
}
