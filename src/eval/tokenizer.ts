// The model's own tokenizer (tokenizer.json through @huggingface/tokenizers), and its BOS id.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { BadInputError } from '../errors.js';
import { CheckpointError } from '../formats/checkpoint/folder.js';

export interface LmTokenizer {
  encode(text: string): number[];
  bos: number | null;
}

export function loadTokenizer(dir: string, config: Record<string, unknown>): LmTokenizer {
  const file = join(dir, 'tokenizer.json');
  if (!existsSync(file)) throw new BadInputError('dir', `${dir} has no tokenizer.json; evaluation needs the model's tokenizer`);
  const cfgFile = join(dir, 'tokenizer_config.json');
  let tokenizerConfig: Record<string, unknown> = {};
  let tok: Tokenizer;
  try {
    if (existsSync(cfgFile)) tokenizerConfig = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    tok = new Tokenizer(JSON.parse(readFileSync(file, 'utf8')), tokenizerConfig);
  } catch (err) {
    // The same file fails the same way on every attempt: a checkpoint error, not retried.
    throw new CheckpointError(file, `the tokenizer cannot be loaded (${(err as Error).message})`);
  }
  const bosToken = tokenizerConfig.bos_token;
  const bosFromTokenizer =
    typeof bosToken === 'string'
      ? tok.token_to_id(bosToken)
      : typeof bosToken === 'object' && bosToken && 'content' in bosToken
        ? tok.token_to_id(String((bosToken as { content: unknown }).content))
        : undefined;
  const bos = typeof config.bos_token_id === 'number' ? config.bos_token_id : (bosFromTokenizer ?? null);
  return { encode: (text) => tok.encode(text, { add_special_tokens: false }).ids, bos };
}
