// The model's own tokenizer (tokenizer.json through @huggingface/tokenizers), and its BOS id.
import { Tokenizer } from '@huggingface/tokenizers';
import { CheckpointError } from '../formats/checkpoint/folder.js';
import { readTokenizerFilesSync } from '../formats/checkpoint/tokenizerFiles.js';
import { withPairRanks } from '../vocab/pairRanks.js';
import { withWordChunks } from '../vocab/wordChunks.js';
import { longTextEncoder } from './longText.js';

export interface LmTokenizer {
  /** Without special tokens; lines of any length (longText.ts), stopping early once `maxTokens` are had. */
  encode(text: string, maxTokens?: number): number[];
  bos: number | null;
}

export function loadTokenizer(dir: string, config: Record<string, unknown>): LmTokenizer {
  const files = readTokenizerFilesSync(dir, 'evaluation');
  const tokenizerConfig = files.config;
  let tok: Tokenizer;
  try {
    // Word-sized BPE input where that gives the same ids (src/vocab/wordChunks.ts): repeated words hit the library's cache.
    tok = withPairRanks(withWordChunks(new Tokenizer(files.json, tokenizerConfig), files.json));
  } catch (err) {
    // The same file fails the same way on every attempt: a checkpoint error, not retried.
    throw new CheckpointError(`${dir}/tokenizer.json`, `the tokenizer cannot be loaded (${(err as Error).message})`);
  }
  const bosToken = tokenizerConfig.bos_token;
  const bosFromTokenizer =
    typeof bosToken === 'string'
      ? tok.token_to_id(bosToken)
      : typeof bosToken === 'object' && bosToken && 'content' in bosToken
        ? tok.token_to_id(String((bosToken as { content: unknown }).content))
        : undefined;
  const bos = typeof config.bos_token_id === 'number' ? config.bos_token_id : (bosFromTokenizer ?? null);
  return { encode: longTextEncoder((text) => tok.encode(text, { add_special_tokens: false }).ids), bos };
}
