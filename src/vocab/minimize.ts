// Merge-path symbols that another merge route replaces. A BPE converted from SentencePiece
// (Llama-2, Mistral, Gemma) lists a merge for every split of a piece into two pieces, so a token
// can be made by several merges (`▁void` from `▁v oid` and from `▁vo id`). The merge path of each
// kept token (src/vocab/select.ts) makes the trimmed BPE repeat the parent's merges step for step;
// the same tokens can come out with fewer symbols when a symbol's merges are gone and the
// lowest-ranked merges left take another route to the same tokens. Which symbols can go is found
// by running BPE (lowest rank first, leftmost on ties, as src/vocab/mergePath.ts) on each distinct
// word-sized piece of the corpus without them: a symbol goes only if every piece still ends as the
// same tokens. Only a piece holding the symbol's text can change (a merge that made or used it
// needs it as a substring of a symbol, and symbols only grow into the token that ends them).
// Greedy by id, repeated until a pass removes nothing: the set left is one from which no single
// symbol can be removed, not always the smallest such set (which needs a search over subsets).
//
// Once a symbol is gone the trimmed BPE no longer repeats the parent's steps, so a token added
// afterwards (rounding up) can open a merge the corpus now reaches: `keepsEncodings` checks one.
import type { BpeView } from './bpe.js';
import { mergeAll } from './mergePath.js';

/**
 * Pieces longer than this are not run again (BPE here is quadratic in a piece's length: a text
 * without word boundaries, a line of CJK or base64, is one piece): a symbol found in one stays,
 * and no token found in one is added to round up. Words are far shorter.
 */
const LONGEST_PIECE = 128;

/**
 * The work all the removal checks may do, in piece characters squared (the bound of one BPE run):
 * a candidate whose check would pass what is left stays. kjv-train by line uses 0.6 % of it; on
 * 5 MB of 100-character lines without spaces most candidates stay, in seconds instead of minutes.
 * Counted, not timed, so the same inputs keep the same tokens on every machine.
 */
const CHECK_BUDGET = 400_000_000;

/** The corpus pieces and the trimmed vocabulary, for running the trimmed BPE on the pieces. */
export class PieceEncoder {
  private readonly vocab = new Set<string>();
  private readonly before = new Map<string, string>();
  private readonly pieces: string[] = [];
  /** The longer pieces, joined by NUL (a match across two would only keep a symbol). */
  private readonly long: string;
  private budget = CHECK_BUDGET;

  /** `kept`: ids of a set that encodes every piece as the parent does (merge paths kept). */
  constructor(
    private readonly view: BpeView,
    private readonly rank: ReadonlyMap<string, number>,
    kept: Iterable<number>,
    pieces: readonly string[],
  ) {
    for (const id of kept) this.vocab.add(view.tokens.get(id)!);
    const long: string[] = [];
    for (const p of pieces) (p.length > LONGEST_PIECE ? long : this.pieces).push(p);
    this.long = long.join('\u0000');
  }

  private inLongPiece(text: string): boolean {
    return this.long.includes(text);
  }

  /** The tokens BPE ends with on `piece` (src/vocab/mergePath.ts), with the vocabulary less `without` and plus `plus`. */
  private encode(piece: string, without?: string, plus?: string): string {
    const has = (t: string) => t !== without && (this.vocab.has(t) || t === plus);
    return mergeAll(
      Array.from(piece),
      (a, b) => {
        const r = this.rank.get(`${a}\u0000${b}`);
        return r !== undefined && has(a) && has(b) && has(a + b) ? r : Number.POSITIVE_INFINITY;
      },
      (a, b) => a + b,
    ).join('\u0000');
  }

  /** The piece's tokens as the parent gives them (the set stays exact, so the current set gives them too). */
  private original(piece: string): string {
    let e = this.before.get(piece);
    if (e === undefined) {
      e = this.encode(piece);
      this.before.set(piece, e);
    }
    return e;
  }

  /** Whether each of `pieces` encodes as before with `without` gone or `plus` added. */
  private unchanged(pieces: Iterable<string>, without?: string, plus?: string): boolean {
    for (const piece of pieces) if (this.encode(piece, without, plus) !== this.original(piece)) return false;
    return true;
  }

  /**
   * For each candidate symbol, the pieces one of whose tokens holds it: the only pieces in which
   * it is ever formed. Found through each token's substrings (tokens are short), not by scanning
   * every piece for every candidate.
   */
  private formedIn(symbols: ReadonlySet<string>): Map<string, string[]> {
    const byToken = new Map<string, string[]>();
    for (const piece of this.pieces)
      for (const token of new Set(this.original(piece).split('\u0000'))) {
        const list = byToken.get(token);
        if (list) list.push(piece);
        else byToken.set(token, [piece]);
      }
    const out = new Map<string, string[]>();
    for (const [token, pieces] of byToken) {
      const chars = Array.from(token);
      const inside = new Set<string>();
      for (let i = 0; i < chars.length; i++)
        for (let j = i + 1; j <= chars.length; j++) {
          const sub = chars.slice(i, j).join('');
          if (symbols.has(sub)) inside.add(sub);
        }
      for (const sub of inside) {
        const list = out.get(sub);
        if (list) list.push(...pieces);
        else out.set(sub, [...pieces]);
      }
    }
    return out;
  }

  /** Removes each of `candidates` (ids kept only as merge-path symbols) that can go; returns those removed. */
  removeReplaceable(candidates: readonly number[]): number[] {
    const removed: number[] = [];
    const left = [...candidates].sort((a, b) => a - b);
    // Built with every candidate kept: the pieces' tokens stay the same as symbols go.
    const formed = this.formedIn(new Set(left.map((id) => this.view.tokens.get(id)!)));
    for (let changed = true; changed; ) {
      changed = false;
      for (let i = 0; i < left.length; i++) {
        const symbol = this.view.tokens.get(left[i]!)!;
        const pieces = formed.get(symbol) ?? [];
        let work = 0;
        for (const p of pieces) work += p.length * p.length;
        if (work > this.budget || this.inLongPiece(symbol)) continue;
        this.budget -= work;
        if (!this.unchanged(pieces, symbol)) continue;
        this.vocab.delete(symbol);
        removed.push(left[i]!);
        left.splice(i--, 1);
        changed = true;
      }
    }
    return removed;
  }

  /** Whether adding token `id` leaves every piece's tokens as they are. */
  keepsEncodings(id: number): boolean {
    const token = this.view.tokens.get(id)!;
    if (this.inLongPiece(token)) return false;
    // A new token can be formed across the tokens of a piece: every piece holding its text.
    return this.unchanged(
      this.pieces.filter((p) => p.includes(token)),
      undefined,
      token,
    );
  }

  add(id: number): void {
    this.vocab.add(this.view.tokens.get(id)!);
  }
}
