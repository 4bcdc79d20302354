// What vocabulary trimming needs to know about a BPE tokenizer.json: its vocabulary, merges,
// added tokens and which byte tokens keep any text encodable. Only BPE is supported: a Unigram
// or WordPiece model is refused with the reason.
import { BadInputError } from '../errors.js';

export interface TokenizerJson {
  model: {
    type: string;
    vocab: Record<string, number>;
    merges: Array<string | [string, string]>;
    byte_fallback?: boolean;
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

export interface BpeView {
  json: TokenizerJson;
  /** Token string by id (vocab and added tokens). */
  tokens: Map<number, string>;
  ids: Map<string, number>;
  merges: Array<[string, string]>;
  byteScheme: ByteScheme;
  /** Ids that are always kept: added/special tokens and the 256 byte tokens. */
  mandatory: Set<number>;
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

export function readBpe(json: TokenizerJson): BpeView {
  const type = json.model?.type;
  if (type !== 'BPE') {
    throw new BadInputError(
      'tokenizer.json',
      `vocabulary trimming supports BPE tokenizers (byte-level or with byte fallback); this one is ${type ?? 'of unknown type'}` +
        (type === 'Unigram' ? ': a Unigram model scores whole pieces, so dropping pieces changes how other text is split' : ''),
    );
  }
  const tokens = new Map<number, string>();
  const ids = new Map<string, number>();
  for (const [t, id] of Object.entries(json.model.vocab)) {
    tokens.set(id, t);
    ids.set(t, id);
  }
  const mandatory = new Set<number>();
  for (const a of json.added_tokens ?? []) {
    tokens.set(a.id, a.content);
    ids.set(a.content, a.id);
    mandatory.add(a.id);
  }
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
  if (json.model.unk_token) {
    const unk = ids.get(json.model.unk_token);
    if (unk !== undefined) mandatory.add(unk);
  }
  return { json, tokens, ids, merges: json.model.merges.map(parseMerge), byteScheme, mandatory };
}
