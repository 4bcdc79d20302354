// Runs the tokenizer rules (tokenizerRules.ts) on a worker thread: loading a 30 MB tokenizer.json
// takes seconds of CPU, and a hostile one (a pre-tokenizer regex that backtracks) could take
// forever, so neither may run on the API's event loop. The worker is stopped after `timeoutMs`.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CheckpointError } from './folder.js';

export interface TokenizerCheckOptions {
  timeoutMs?: number;
}

/** Refuses, naming the file and the problem, a tokenizer that cannot serve the model of `config`. */
export async function checkTokenizer(dir: string, config: Record<string, unknown>, options: TokenizerCheckOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const worker = new Worker(new URL('../../workerBootstrap.mjs', import.meta.url), {
    workerData: { module: new URL('./tokenizerCheckMain.ts', import.meta.url).href, dir, config },
    // A tokenizer.json is at most 256 MB (tokenizerCheckMain.ts); its parsed form fits in this.
    resourceLimits: { maxOldGenerationSizeMb: 4096 },
  });
  const result = await new Promise<{ file: string; problem: string } | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ file: 'tokenizer.json', problem: `took more than ${timeoutMs / 1000} s to load and encode a sentence` });
    }, timeoutMs);
    worker.once('message', (m: { file: string; problem: string } | null) => {
      clearTimeout(timer);
      resolve(m);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      // Out of memory in the worker is the file's fault, not the server's.
      if ((err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY')
        resolve({ file: 'tokenizer.json', problem: 'needs too much memory to load' });
      else reject(err);
    });
  });
  await worker.terminate();
  if (result) throw new CheckpointError(join(dir, result.file), result.problem);
}
