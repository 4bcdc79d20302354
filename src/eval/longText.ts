// Encoding very long lines. A tokenizer without a pre-tokenizer (Llama-2's SentencePiece BPE)
// treats a whole line as one word, and merging it costs more than linear time: one 1.5 MB line
// took 27 s. Such a line is encoded in pieces of at most PIECE_CHARS, cut at a space, and the
// encoding stops as soon as the caller has the tokens it asked for (calibration needs a few
// thousand). Where the space goes is what keeps the result equal to encoding the line whole:
// SentencePiece normalizers (Prepend "▁") want it dropped, byte-level BPE (GPT-2, Qwen: "Ġ" glued
// to the next word) wants it kept at the start of the next piece; a probe decides once per
// tokenizer. Lines up to PIECE_CHARS, i.e. every ordinary text file, are encoded as they are.

/** Longer lines are cut; short enough that one piece costs milliseconds. */
export const PIECE_CHARS = 4096;

type Encode = (text: string) => number[];
type Join = 'keep' | 'drop';

const PROBE = ['in the beginning God', ' created the heaven'] as const;

function equal(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether a piece should start with the space it was cut at, or without it. */
function probeJoin(encode: Encode): Join {
  const whole = encode(PROBE.join(''));
  const first = encode(PROBE[0]);
  if (equal(whole, [...first, ...encode(PROBE[1])])) return 'keep';
  if (equal(whole, [...first, ...encode(PROBE[1].slice(1))])) return 'drop';
  return 'keep';
}

/** Where the piece starting at `start` ends: at the last space of its window, else (one long word) at the window's end. */
function cutAt(text: string, start: number): number {
  const end = start + PIECE_CHARS;
  if (end >= text.length) return text.length;
  const space = text.lastIndexOf(' ', end);
  if (space > start) return space;
  // A hard cut never splits a surrogate pair.
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

/**
 * `encode` made safe for any line length; the result has at least `maxTokens` tokens when the
 * line has that many (it may have a few more: the last piece is encoded whole).
 */
export function longTextEncoder(encode: Encode): (text: string, maxTokens?: number) => number[] {
  let join: Join | undefined;
  return (text, maxTokens = Number.POSITIVE_INFINITY) => {
    if (text.length <= PIECE_CHARS) return encode(text);
    join ??= probeJoin(encode);
    const out: number[] = [];
    for (let start = 0; start < text.length && out.length < maxTokens; ) {
      const end = cutAt(text, start);
      const piece = text.slice(start, end);
      // Pushed one by one: `push(...ids)` passes every id as an argument and overflows the stack
      // ("Maximum call stack size exceeded") at a few hundred thousand.
      for (const id of encode(piece)) out.push(id);
      start = join === 'drop' && text[end] === ' ' ? end + 1 : end;
    }
    return out;
  };
}
