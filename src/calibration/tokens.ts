// The calibration tokens: the first `samples` tokens of a text file as the perplexity protocol
// streams it (src/eval/tokenStream.ts, each line BOS-prefixed when the model has a BOS token).
// A file with fewer tokens than `samples` is refused: the recipe, the card and the reproduce
// command state `samples`, and a calibration on two tokens must not be recorded as 2,048.

import { basename } from 'node:path';
import { BadInputError } from '../errors.js';
import { loadTokenizer } from '../eval/tokenizer.js';
import { bosPrefixedStream } from '../eval/tokenStream.js';
import { readDataFile } from '../formats/dataFile.js';

export function calibrationTokens(dir: string, config: Record<string, unknown>, file: string, samples: number): number[] {
  const tokens = bosPrefixedStream(loadTokenizer(dir, config), readDataFile(file, 'recipe.calibration').text, samples);
  if (tokens.length < samples)
    throw new BadInputError(
      'recipe.calibration',
      `${basename(file)} gives ${tokens.length.toLocaleString('en-US')} tokens, fewer than the ${samples.toLocaleString('en-US')} calibration samples asked for: give a longer file or fewer samples`,
      { tokens: tokens.length, samples },
    );
  return tokens;
}
