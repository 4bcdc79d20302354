// The calibration tokens: the first `samples` tokens of a text file as the perplexity protocol
// streams it (each line BOS-prefixed when the model has a BOS token).
import { loadTokenizer } from '../eval/tokenizer.js';
import { readDataFile } from '../formats/dataFile.js';

export function calibrationTokens(dir: string, config: Record<string, unknown>, file: string, samples: number): number[] {
  const tokenizer = loadTokenizer(dir, config);
  const out: number[] = [];
  for (const line of readDataFile(file, 'recipe.calibration').text.split('\n')) {
    if (line.trim() === '') continue;
    if (tokenizer.bos !== null) out.push(tokenizer.bos);
    // One by one: spreading a long line's ids as arguments overflows the stack.
    for (const id of tokenizer.encode(line, samples - out.length)) out.push(id);
    if (out.length >= samples) break;
  }
  return out.slice(0, samples);
}
