// The calibration tokens: the first `samples` tokens of a text file as the perplexity protocol
// streams it (src/eval/tokenStream.ts, each line BOS-prefixed when the model has a BOS token).

import { loadTokenizer } from '../eval/tokenizer.js';
import { bosPrefixedStream } from '../eval/tokenStream.js';
import { readDataFile } from '../formats/dataFile.js';

export function calibrationTokens(dir: string, config: Record<string, unknown>, file: string, samples: number): number[] {
  return bosPrefixedStream(loadTokenizer(dir, config), readDataFile(file, 'recipe.calibration').text, samples);
}
