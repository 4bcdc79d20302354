// The token stream of reference.json's perplexity protocol: each non-empty line tokenised without
// special tokens and prefixed with BOS (when the model has one), the lines concatenated. Perplexity
// scores it and calibration runs the model over its first tokens (src/calibration/tokens.ts): one
// stream, so a calibration pass sees exactly the tokens a perplexity measurement would.
import type { LmTokenizer } from './tokenizer.js';

/** The stream of `text`, cut at `max` tokens when given (the rest of a large file is not tokenised). */
export function bosPrefixedStream(tokenizer: LmTokenizer, text: string, max?: number): number[] {
  const tokens: number[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (tokenizer.bos !== null) tokens.push(tokenizer.bos);
    // One by one: spreading a long line's ids as arguments overflows the stack.
    for (const id of tokenizer.encode(line, max !== undefined ? max - tokens.length : undefined)) tokens.push(id);
    if (max !== undefined && tokens.length >= max) break;
  }
  return max !== undefined ? tokens.slice(0, max) : tokens;
}
