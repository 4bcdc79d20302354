// The model's own tokenizer (tokenizer.json through @huggingface/tokenizers), and its BOS id.
import { Tokenizer } from '@huggingface/tokenizers';
import { CheckpointError } from '../formats/checkpoint/folder.js';
import { digestOf, parseTokenizerBytes, readTokenizerBytesSync } from '../formats/checkpoint/tokenizerFiles.js';
import { withPairRanks } from '../vocab/pairRanks.js';
import { withWordChunks } from '../vocab/wordChunks.js';
import { longTextEncoder } from './longText.js';

export interface LmTokenizer {
  /** Without special tokens; lines of any length (longText.ts), stopping early once `maxTokens` are had. */
  encode(text: string, maxTokens?: number): number[];
  bos: number | null;
}

/**
 * The last tokenizer built in this process, by the digest of the bytes it was built from. A job
 * process runs job after job (workers/runner.ts), mostly on one base model and its children, whose
 * tokenizer files are byte for byte the parent's: a prune's calibration and the evaluation after
 * it, or every step of a depth-by-perplexity search, would otherwise parse and build the same
 * tokenizer again (the shared model's 32,000 pieces: about 0.15 CPU-s; Gemma-3's 262,144: 1.8 s).
 * Keyed by what the bytes are, never by path, so an edited or replaced file is built afresh; one
 * kept, so a process holds at most one tokenizer it no longer needs. Sharing one instance changes
 * nothing a caller sees: the library's word caches (and wordChunks' and pairRanks' wrappers) only
 * remember what the same piece always gives. The parsed tokenizer.json stays with it (Gemma-3's:
 * about 150 MB of heap), which the runner's bound on a kept process's memory counts.
 */
let last: { digest: string; tok: Tokenizer; config: Record<string, unknown> } | undefined;
let built = 0;

/** Tokenizers this process has built (not reused): what the reuse saves shows in it. */
export function tokenizersBuilt(): number {
  return built;
}

function buildTokenizer(dir: string): { tok: Tokenizer; config: Record<string, unknown> } {
  const bytes = readTokenizerBytesSync(dir, 'evaluation');
  const digest = digestOf(bytes);
  if (last?.digest === digest) {
    // Each use starts with an empty word cache, as a tokenizer built for it would: the BPE cache of
    // wordChunks.ts keeps the first pieces it sees, which are this text's frequent words only if
    // the cache starts empty with it.
    (last.tok as unknown as { model?: { cache?: { clear?: () => void } } }).model?.cache?.clear?.();
    return last;
  }
  last = undefined;
  const files = parseTokenizerBytes(bytes);
  let tok: Tokenizer;
  try {
    // Word-sized BPE input where that gives the same ids (src/vocab/wordChunks.ts): repeated words hit the library's cache.
    tok = withPairRanks(withWordChunks(new Tokenizer(files.json, files.config), files.json));
  } catch (err) {
    // The same file fails the same way on every attempt: a checkpoint error, not retried.
    throw new CheckpointError(`${dir}/tokenizer.json`, `the tokenizer cannot be loaded (${(err as Error).message})`);
  }
  built++;
  last = { digest, tok, config: files.config };
  return last;
}

export function loadTokenizer(dir: string, config: Record<string, unknown>): LmTokenizer {
  const { tok, config: tokenizerConfig } = buildTokenizer(dir);
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
