// Child-process side of tokenizerCheck.ts: takes { dir, config, roots } over IPC, reads the
// tokenizer files and applies the rules, and answers with the problem found (or null).
import { basename } from 'node:path';
import { BonsaiError } from '../../errors.js';
import { readTokenizerFiles } from './tokenizerFiles.js';
import { tokenizerProblem } from './tokenizerRules.js';

interface CheckInput {
  dir: string;
  config: Record<string, unknown>;
  roots?: string[];
}

async function check({ dir, config, roots }: CheckInput): Promise<{ file: string; problem: string } | null> {
  try {
    const files = await readTokenizerFiles(dir, 'registration', roots);
    return tokenizerProblem({ tokenizer: files.json, tokenizerConfig: files.config, config });
  } catch (err) {
    if (!(err instanceof BonsaiError)) throw err;
    const file = typeof err.details.file === 'string' ? basename(err.details.file) : 'tokenizer.json';
    return { file, problem: String(err.details.problem ?? err.message) };
  }
}

// The server went away: nothing is waiting for the answer.
process.once('disconnect', () => process.exit(1));
process.once('message', (input: CheckInput) => {
  check(input).then(
    (answer) => process.send?.(answer, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
