// Worker side of tokenizerCheck.ts: reads the tokenizer files (regular files only) and applies the rules.
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { NotRegularFileError, readRegularFile } from '../regularFile.js';
import { tokenizerProblem } from './tokenizerRules.js';

const MAX_TOKENIZER_BYTES = 256 * 1024 * 1024;
const { dir, config } = workerData as { dir: string; config: Record<string, unknown> };

async function readJson(name: string, optional: boolean): Promise<{ value?: unknown; problem?: string }> {
  let text: string;
  try {
    text = (await readRegularFile(join(dir, name), MAX_TOKENIZER_BYTES)).toString('utf8');
  } catch (err) {
    if (optional && err instanceof NotRegularFileError && err.details.problem === 'missing') return {};
    if (err instanceof NotRegularFileError) return { problem: String(err.details.problem) };
    throw err;
  }
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { problem: `not valid JSON (${(err as Error).message})` };
  }
}

const tokenizer = await readJson('tokenizer.json', false);
const tokenizerConfig = await readJson('tokenizer_config.json', true);
parentPort?.postMessage(
  tokenizer.problem
    ? { file: 'tokenizer.json', problem: tokenizer.problem }
    : tokenizerConfig.problem
      ? { file: 'tokenizer_config.json', problem: tokenizerConfig.problem }
      : tokenizerProblem({ tokenizer: tokenizer.value, tokenizerConfig: tokenizerConfig.value, config }),
);
