// Counting the tokens a corpus uses, with the model's own tokenizer, the way the model will see
// the text. `document` (the default) encodes each file whole, so tokens that span a line break
// count (".\n", "\n\n", "\n\t\t" in byte-level BPE: Qwen, Llama-3); it also encodes each line alone
// and keeps the few tokens only that uses (a line's last punctuation without its break), so both
// whole texts and single lines tokenise exactly as before trimming. `line` encodes each non-empty
// line alone, as the perplexity protocol feeds a one-verse-per-line text.
import { Tokenizer } from '@huggingface/tokenizers';
import { BadInputError } from '../errors.js';
import { readDataFile } from '../formats/dataFile.js';
import { ignoresMerges, type TokenizerJson } from './bpe.js';
import { watchMergeBuilt } from './builtByMerges.js';
import { withPairRanks } from './pairRanks.js';
import { pieceCutter, withWordChunks } from './wordChunks.js';
import { withWordMemo } from './wordMemo.js';

/**
 * How a corpus is tokenised. The recipe schema lists the same units (src/recipes/schema.ts
 * CORPUS_UNITS); vocab/ imports nothing above it, and a unit added there and not here fails to
 * typecheck where a recipe's unit is passed to selectVocabulary.
 */
export type CorpusUnit = 'document' | 'line';

export interface CorpusFile {
  file: string;
  sha256: string;
  lines: number;
  tokens: number;
}

export interface CorpusCount {
  /** Occurrences per token id in the chosen unit. */
  counts: Map<number, number>;
  corpus: CorpusFile[];
  total: number;
  /** `document`: ids that only the line-by-line encoding uses. */
  alsoUsed?: number[];
  /**
   * BPE with `ignore_merges`: the ids its merges built (src/vocab/builtByMerges.ts); the others
   * were only ever emitted whole. Absent: every BPE token of the corpus was built by merges.
   */
  builtByMerges?: number[];
  /**
   * BPE without a continuing-subword prefix, end-of-word suffix or `ignore_merges`: the distinct
   * word-sized pieces its model merged (pre-tokens cut as src/vocab/wordChunks.ts's pieceCutter
   * says), for finding merge-path symbols another route replaces (src/vocab/minimize.ts). Absent
   * past MAX_PIECES distinct pieces.
   */
  pieces?: string[];
}

/** Distinct pieces kept for minimisation; past this the trim keeps every merge path. */
const MAX_PIECES = 2_000_000;

/** The tokenizer files as read by src/formats/checkpoint/tokenizerFiles.ts, tokenizer.json typed. */
interface TokenizerFiles {
  json: TokenizerJson;
  config: Record<string, unknown>;
}

/**
 * Whether a document may be encoded line by line with the same result as whole: true for
 * SentencePiece-style BPE (Llama-2, Mistral: no pre-tokenizer, so the whole text would be one BPE
 * word and encoding it whole takes quadratic time) when no token contains a line break, so no
 * merge crosses one. Byte-level tokenizers pre-tokenize, and encode whole texts in linear time.
 */
function splitsAtNewlines(json: TokenizerJson): boolean {
  const raw = json as unknown as { pre_tokenizer?: unknown; model?: { vocab?: Record<string, number> | Array<[string, number]> } };
  if (raw.pre_tokenizer) return false;
  const vocab = raw.model?.vocab;
  const pieces = Array.isArray(vocab) ? vocab.map(([p]) => p) : Object.keys(vocab ?? {});
  return !pieces.some((p) => p.includes('\n'));
}

function encodeDocument(tok: Tokenizer, text: string, split: boolean): number[] {
  if (!split) return tok.encode(text, { add_special_tokens: false }).ids;
  // Each later line is encoded behind a line break, whose tokens are dropped: this keeps what the
  // whole text gives after a break (no prefix space that a normalizer adds at the start of a text).
  const lines = text.split('\n');
  const ids = [...tok.encode(lines[0]!, { add_special_tokens: false }).ids];
  for (const line of lines.slice(1)) {
    const e = tok.encode(`\n${line}`, { add_special_tokens: false });
    const cut = e.tokens.findIndex((t: string) => t.includes('\n') || t === '<0x0A>');
    // One by one: spreading a long line's ids as arguments overflows the stack.
    for (let i = Math.max(0, cut); i < e.ids.length; i++) ids.push(e.ids[i] as number);
  }
  return ids;
}

/** Token ids counted over each corpus file (no special tokens added). */
export function countCorpus(
  files: TokenizerFiles,
  corpus: string[],
  onProgress?: (fraction: number) => void,
  unit: CorpusUnit = 'document',
): CorpusCount {
  if (corpus.length === 0) throw new BadInputError('recipe.corpus', 'name at least one corpus file');
  // A file named n times is read and encoded once and counted n times; one text is held at a time
  // (30,000 names of one file held 30,000 copies and ran the job out of memory).
  const times = new Map<string, number>();
  for (const f of corpus) times.set(f, (times.get(f) ?? 0) + 1);
  // Each line is one BPE word without a pre-tokenizer; cut into word-sized pieces (same ids) the library's word cache serves repeats.
  // Unigram and WordPiece models, which have no word cache, remember each word's pieces (src/vocab/wordMemo.ts, same ids).
  const tok = withWordMemo(withWordChunks(new Tokenizer(files.json, files.config), files.json));
  // The two-level merge-rank lookup (src/vocab/pairRanks.ts) gives the same ids; building it costs
  // about a microsecond per merge and saves one to two per character encoded, so it is built once
  // the text to encode is half as long as the merges list: Gemma-3's 514,906 merges took 0.48 CPU-s
  // to map, more than a minimality test's 40 lines of text then took to encode without it.
  const merges = Array.isArray(files.json.model.merges) ? files.json.model.merges.length : 0;
  let toEncode = 0;
  let ranked = false;
  const built = ignoresMerges(files.json) ? watchMergeBuilt(tok) : undefined;
  const pieces = collectsPieces(files.json) ? watchPieces(tok) : undefined;
  const split = splitsAtNewlines(files.json);
  const counts = new Map<number, number>();
  const lineIds = new Set<number>();
  let total = 0;
  const byFile = new Map<string, CorpusFile>();
  let n = 0;
  for (const [file, weight] of times) {
    const t = readDataFile(file, 'recipe.corpus');
    // `document` encodes the text whole and line by line.
    toEncode += t.text.length * (unit === 'document' ? 2 : 1);
    if (!ranked && toEncode * 2 >= merges) {
      withPairRanks(tok);
      ranked = true;
    }
    const add = (id: number) => counts.set(id, (counts.get(id) ?? 0) + weight);
    let doneChars = 0;
    let lines = 0;
    let tokens = 0;
    if (unit === 'document') {
      const ids = encodeDocument(tok, t.text, split);
      for (const id of ids) add(id);
      tokens = ids.length;
    }
    for (const line of t.text.split('\n')) {
      doneChars += line.length + 1;
      if (line.trim().length === 0) continue;
      lines++;
      for (const id of tok.encode(line, { add_special_tokens: false }).ids) {
        if (unit === 'line') {
          add(id);
          tokens++;
        } else lineIds.add(id);
      }
      if (lines % 2000 === 0) onProgress?.(Math.min(1, (n + doneChars / t.text.length) / times.size));
    }
    total += tokens * weight;
    byFile.set(file, { file, sha256: t.sha256, lines, tokens });
    n++;
  }
  const out = corpus.map((f) => byFile.get(f)!);
  onProgress?.(1);
  const alsoUsed = unit === 'document' ? [...lineIds].filter((id) => !counts.has(id)).sort((a, b) => a - b) : undefined;
  const builtByMerges = built ? [...built].map((t) => tok.token_to_id(t)).filter((id): id is number => id !== undefined) : undefined;
  const distinct = pieces && pieces.size <= MAX_PIECES ? [...pieces] : undefined;
  return {
    counts,
    corpus: out,
    total,
    ...(alsoUsed ? { alsoUsed } : {}),
    ...(builtByMerges ? { builtByMerges } : {}),
    ...(distinct ? { pieces: distinct } : {}),
  };
}

function collectsPieces(json: TokenizerJson): boolean {
  const m = json.model;
  return Array.isArray(m.merges) && !ignoresMerges(json) && !m.continuing_subword_prefix && !m.end_of_word_suffix;
}

/**
 * Starts recording the distinct pieces `tok`'s BPE model merges: each pre-token it is handed, cut
 * where no merge can cross (the cut only finds shorter pieces; the ids are the library's).
 * Recording stops past MAX_PIECES.
 */
function watchPieces(tok: Tokenizer): Set<string> {
  const seen = new Set<string>();
  const model = tok.model as unknown as { encode?: (pre: string[]) => string[]; merges?: Array<[string, string]> } | undefined;
  if (!model?.encode || !Array.isArray(model.merges)) return seen;
  const cut = pieceCutter(model.merges);
  const encode = model.encode.bind(model);
  model.encode = (pre: string[]) => {
    if (seen.size <= MAX_PIECES) for (const p of pre) for (const piece of cut(p)) seen.add(piece);
    return encode(pre);
  };
  return seen;
}
