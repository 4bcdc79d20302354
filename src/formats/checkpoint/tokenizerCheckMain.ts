// Child-process side of tokenizerCheck.ts: takes { dir, config, roots } over IPC, reads the
// tokenizer files and applies the rules, and answers with the problem found (or null) and the
// digest of the files' bytes it judged (none when they could not be read).
import { basename } from 'node:path';
import { BonsaiError } from '../../errors.js';
import type { CheckReply } from './tokenizerCheck.js';
import { readTokenizerFiles } from './tokenizerFiles.js';
import { tokenizerProblem } from './tokenizerRules.js';

interface CheckInput {
  dir: string;
  config: Record<string, unknown>;
  roots?: string[];
}

/** The problem found (or null), and the digest of the bytes it was found in once they were read. */
async function check({ dir, config, roots }: CheckInput): Promise<CheckReply> {
  let digest: string | undefined;
  try {
    const files = await readTokenizerFiles(dir, 'registration', roots, (d) => {
      digest = d;
    });
    return { answer: tokenizerProblem({ tokenizer: files.json, tokenizerConfig: files.config, config }), digest };
  } catch (err) {
    if (!(err instanceof BonsaiError)) throw err;
    const file = typeof err.details.file === 'string' ? basename(err.details.file) : 'tokenizer.json';
    return { answer: { file, problem: String(err.details.problem ?? err.message) }, digest };
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
