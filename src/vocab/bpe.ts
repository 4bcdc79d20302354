// What vocabulary trimming needs to know about a tokenizer.json: its model kind, vocabulary,
// merges (BPE), added tokens, and the tokens that keep any text encodable — BPE's 256 byte
// tokens; a Unigram model's byte-fallback pieces, or else its single-character pieces; every
// single character of a WordPiece vocabulary and its continuation form ("##a"), so any word over
// the original alphabet stays encodable (huggingface/tokenizers' models/bpe, unigram, wordpiece).
import { BadInputError } from '../errors.js';

export interface TokenizerJson {
  model: {
    type?: string;
    /** BPE and WordPiece: token → id; Unigram: [piece, score] by id. */
    vocab: Record<string, number> | Array<[string, number]>;
    merges?: Array<string | [string, string]>;
    unk_id?: number | null;
    continuing_subword_prefix?: string | null;
    byte_fallback?: boolean;
    end_of_word_suffix?: string | null;
    ignore_merges?: boolean;
    dropout?: number | null;
    unk_token?: string | null;
    [k: string]: unknown;
  };
  added_tokens?: Array<{ id: number; content: string; special?: boolean; [k: string]: unknown }>;
  pre_tokenizer?: unknown;
  post_processor?: unknown;
  decoder?: unknown;
  [k: string]: unknown;
}

export type ByteScheme = 'byte-level' | 'byte-fallback' | 'none';
export type ModelKind = 'BPE' | 'Unigram' | 'WordPiece';

export interface BpeView {
  json: TokenizerJson;
  kind: ModelKind;
  /** Token string by id (vocab and added tokens). */
  tokens: Map<number, string>;
  ids: Map<string, number>;
  merges: Array<[string, string]>;
  byteScheme: ByteScheme;
  /** Ids that are always kept: added/special tokens and the 256 byte tokens. */
  mandatory: Set<number>;
  /** BPE's word options ('' when unset): how a pre-token's first symbols are spelled. */
  prefix: string;
  suffix: string;
  /**
   * Whether a pre-token found whole in the vocabulary is emitted as one token without merges
   * (`ignore_merges`, Llama-3). The tokenizers crate skips that shortcut when `dropout` is set
   * (models/bpe/model.rs, `tokenize`), so it counts only without dropout.
   */
  ignoresMerges: boolean;
}

/**
 * The token a merge makes: the tokenizers crate strips the continuing-subword prefix's length in
 * bytes from the right part (models/bpe/model.rs, `BpeBuilder::build`), so "##a" + "##b" is "##ab".
 */
export function mergeResult(a: string, b: string, prefix: string): string {
  if (prefix === '') return a + b;
  if (b.startsWith(prefix)) return a + b.slice(prefix.length);
  return a + Buffer.from(b, 'utf8').subarray(Buffer.byteLength(prefix, 'utf8')).toString('utf8');
}

/** GPT-2's byte ↔ printable character table (the alphabet of every byte-level BPE). */
export function byteLevelAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const out: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + n++);
  return out;
}

function mentionsByteLevel(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  const o = node as Record<string, unknown>;
  if (o.type === 'ByteLevel') return true;
  return Object.values(o).some((v) => (Array.isArray(v) ? v.some(mentionsByteLevel) : mentionsByteLevel(v)));
}

export function parseMerge(m: string | [string, string], index: number): [string, string] {
  if (Array.isArray(m)) return m;
  const space = m.indexOf(' ');
  if (space <= 0) throw new BadInputError('tokenizer.json', `merge ${index} ("${m}") is not "left right"`);
  return [m.slice(0, space), m.slice(space + 1)];
}

/** The model's kind: its `type`, or for older files without one, inferred as the library does. */
export function modelKind(json: TokenizerJson): ModelKind {
  const type = json.model?.type;
  if (type === 'BPE' || type === 'Unigram' || type === 'WordPiece') return type;
  if (type !== undefined)
    throw new BadInputError('tokenizer.json', `vocabulary trimming supports BPE, Unigram and WordPiece tokenizers; this one is ${type}`);
  if (Array.isArray(json.model?.vocab)) return 'Unigram';
  if (Array.isArray(json.model?.merges)) return 'BPE';
  return 'WordPiece';
}

const BYTE_FALLBACK = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);

export function readBpe(json: TokenizerJson): BpeView {
  const kind = modelKind(json);
  const tokens = new Map<number, string>();
  const ids = new Map<string, number>();
  if (Array.isArray(json.model.vocab)) {
    json.model.vocab.forEach(([piece], id) => {
      tokens.set(id, piece);
      ids.set(piece, id);
    });
  } else {
    for (const [t, id] of Object.entries(json.model.vocab)) {
      tokens.set(id, t);
      ids.set(t, id);
    }
  }
  const mandatory = new Set<number>();
  for (const a of json.added_tokens ?? []) {
    tokens.set(a.id, a.content);
    ids.set(a.content, a.id);
    mandatory.add(a.id);
  }
  if (typeof json.model.unk_id === 'number') mandatory.add(json.model.unk_id);
  if (json.model.unk_token) {
    const unk = ids.get(json.model.unk_token);
    if (unk !== undefined) mandatory.add(unk);
  }
  if (kind === 'Unigram') {
    // Byte-fallback pieces when the model has them; otherwise the single characters, which spell
    // out any text over the original alphabet.
    const fallback = json.model.byte_fallback ? BYTE_FALLBACK : [...ids.keys()].filter((p) => [...p].length === 1);
    for (const p of fallback) {
      const id = ids.get(p);
      if (id !== undefined) mandatory.add(id);
    }
    return {
      json,
      kind,
      tokens,
      ids,
      merges: [],
      byteScheme: json.model.byte_fallback ? 'byte-fallback' : 'none',
      mandatory,
      ...NO_WORD_OPTIONS,
    };
  }
  if (kind === 'WordPiece') {
    const prefix = json.model.continuing_subword_prefix ?? '##';
    for (const [t, id] of ids) {
      const bare = t.startsWith(prefix) ? t.slice(prefix.length) : t;
      if ([...bare].length === 1) mandatory.add(id);
    }
    return { json, kind, tokens, ids, merges: [], byteScheme: 'none', mandatory, ...NO_WORD_OPTIONS };
  }
  const rest = readBpeBytes(json, ids, mandatory);
  return {
    json,
    kind,
    tokens,
    ids,
    merges: (json.model.merges ?? []).map(parseMerge),
    byteScheme: rest,
    mandatory,
    prefix: json.model.continuing_subword_prefix ?? '',
    suffix: typeof json.model.end_of_word_suffix === 'string' ? json.model.end_of_word_suffix : '',
    ignoresMerges: ignoresMerges(json),
  };
}

/** `ignore_merges` as the tokenizers crate applies it: BPE only, and never with `dropout` > 0. */
export function ignoresMerges(json: TokenizerJson): boolean {
  const dropout = typeof json.model?.dropout === 'number' ? json.model.dropout : 0;
  return modelKind(json) === 'BPE' && json.model.ignore_merges === true && dropout === 0;
}

const NO_WORD_OPTIONS = { prefix: '', suffix: '', ignoresMerges: false } as const;

function readBpeBytes(json: TokenizerJson, ids: Map<string, number>, mandatory: Set<number>): ByteScheme {
  const byteScheme: ByteScheme = json.model.byte_fallback
    ? 'byte-fallback'
    : mentionsByteLevel(json.pre_tokenizer) || mentionsByteLevel(json.decoder)
      ? 'byte-level'
      : 'none';
  const byteTokens =
    byteScheme === 'byte-fallback'
      ? Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`)
      : byteScheme === 'byte-level'
        ? byteLevelAlphabet()
        : [];
  for (const t of byteTokens) {
    const id = ids.get(t);
    if (id === undefined) throw new BadInputError('tokenizer.json', `the byte token ${JSON.stringify(t)} is missing from the vocabulary`);
    mandatory.add(id);
  }
  return byteScheme;
}
