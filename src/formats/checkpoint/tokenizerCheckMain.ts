// Worker side of tokenizerCheck.ts: reads the tokenizer files and applies the rules.
import { basename } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { BonsaiError } from '../../errors.js';
import { readTokenizerFiles } from './tokenizerFiles.js';
import { tokenizerProblem } from './tokenizerRules.js';

const { dir, config } = workerData as { dir: string; config: Record<string, unknown> };

try {
  const files = await readTokenizerFiles(dir, 'registration');
  parentPort?.postMessage(tokenizerProblem({ tokenizer: files.json, tokenizerConfig: files.config, config }));
} catch (err) {
  if (!(err instanceof BonsaiError)) throw err;
  const file = typeof err.details.file === 'string' ? basename(err.details.file) : 'tokenizer.json';
  parentPort?.postMessage({ file, problem: String(err.details.problem ?? err.message) });
}
