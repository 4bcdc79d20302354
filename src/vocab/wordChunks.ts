// Word-sized BPE input for tokenizers without a pre-tokenizer, the same ids. A SentencePiece-style
// BPE (Llama-2, Mistral; the shared model's) hands @huggingface/tokenizers each whole line as one
// word, so the library's word cache (BPE.bpe, an LRU of words up to 256 characters) never hits
// and every line is merged from its characters: counting kjv-train.txt for a trim took ~7 CPU-s.
//
// Why cutting the word before each "▁" that follows another character gives the same tokens: BPE
// (tokenizers.js BPE.bpe, after the tokenizers crate) repeatedly merges the adjacent pair of lowest
// rank, ties broken by position; a merge only ever joins two neighbouring symbols into their
// concatenation. If no merge produces a string with "▁" right after another character, no merge
// can ever join a symbol ending at a cut (a character other than "▁") to one starting there (a
// "▁"), so the merges on each side of a cut never involve the other side, and the order in which
// the merges of one piece happen is the same alone as in the whole word (rank first, then
// position, and positions keep their order). Each piece therefore ends as the same symbols, and
// the word's result is the pieces' results in order. Checked on the merges list before it is
// used; BPE options that depend on where a word ends (end_of_word_suffix,
// continuing_subword_suffix) or emit whole words (ignore_merges) leave the model as it is.
import type { Tokenizer } from '@huggingface/tokenizers';

const SPACE = '\u2581';
/** A "▁" right after another character: what no merge may produce for the model to be fed pieces. */
const AFTER_CHAR = /[^\u2581]\u2581/u;

interface BpeModelInternals {
  merges?: unknown;
  encode?: unknown;
  bpe?: unknown;
  ignore_merges?: unknown;
  end_of_word_suffix?: unknown;
  continuing_subword_suffix?: unknown;
  cache?: unknown;
  cache_capacity?: unknown;
}

/** Whether `merges` (as the library holds them: [left, right] pairs) keeps every merge inside a piece. */
export function mergesStayInPieces(merges: unknown): boolean {
  if (!Array.isArray(merges)) return false;
  for (const m of merges) {
    if (!Array.isArray(m) || typeof m[0] !== 'string' || typeof m[1] !== 'string') return false;
    if (AFTER_CHAR.test(m[0] + m[1])) return false;
  }
  return true;
}

/**
 * Feeds `tok`'s BPE model words cut before each "▁" that follows another character, when that
 * gives the same tokens (see above); leaves any other tokenizer (or another library version) as
 * it is. `json`: the tokenizer.json `tok` was built from.
 */
export function withWordChunks(tok: Tokenizer, json: { pre_tokenizer?: unknown }): Tokenizer {
  // A pre-tokenizer already hands the model words.
  if (json.pre_tokenizer) return tok;
  const model = tok.model as unknown as BpeModelInternals | undefined;
  if (
    !model ||
    typeof model.encode !== 'function' ||
    typeof model.bpe !== 'function' ||
    model.ignore_merges ||
    model.end_of_word_suffix ||
    model.continuing_subword_suffix ||
    !mergesStayInPieces(model.merges)
  )
    return tok;
  const encode = model.encode.bind(model) as (tokens: string[]) => string[];
  const cut = pieceCutter(model.merges as Array<[string, string]>);
  model.encode = (tokens: string[]) => encode(tokens.flatMap(cut));
  // The library's LRU moves every hit to the back of its Map (has, get, delete, set): 40 % of
  // counting kjv-train once the pieces hit it. bpe() is a function of the piece alone, so a cache
  // that keeps the first pieces it sees, up to the same capacity, returns the same results; the
  // frequent words of a text are among its first ones.
  if (model.cache && typeof model.cache === 'object' && 'get' in model.cache && 'put' in model.cache) {
    const capacity = typeof model.cache_capacity === 'number' ? model.cache_capacity : 10_000;
    const kept = new Map<string, string[]>();
    model.cache = {
      get: (key: string) => kept.get(key),
      put: (key: string, value: string[]) => {
        if (kept.size < capacity) kept.set(key, value);
      },
      clear: () => kept.clear(),
    };
  }
  return tok;
}

/**
 * The same argument with merges that do put a character before a "▁" (Gemma-3 has one, ">▁</"):
 * a merge joining the symbols on both sides of a cut makes a string holding the two characters
 * around it, so a cut before a "▁" whose preceding character no merge result puts there never
 * splits a merge. The pieces of `text` cut so, whose BPE results in order are the text's.
 */
export function pieceCutter(merges: ReadonlyArray<readonly [string, string]>): (text: string) => string[] {
  const before = new Set<string>();
  for (const [a, b] of merges) {
    const made = Array.from(a + b);
    for (let i = 1; i < made.length; i++) if (made[i] === SPACE) before.add(made[i - 1]!);
  }
  const escaped = [...before].map((c) => c.replace(/[\\\]^-]/g, '\\$&')).join('');
  const cut = new RegExp(`(?<=[^${escaped}])(?=${SPACE})`, 'u');
  return (text) => (text.includes(SPACE) ? text.split(cut) : [text]);
}
