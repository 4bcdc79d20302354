// Hashes a folder on a worker thread, so the parent's sha256s are computed while the main thread
// scores and writes (on a 2-core machine this hides most of the hashing time).
import { Worker } from 'node:worker_threads';

export function hashFolderInWorker(dir: string, names: readonly string[]): Promise<Record<string, string>> {
  const worker = new Worker(new URL('../workerBootstrap.mjs', import.meta.url), {
    workerData: { module: new URL('./hashWorkerMain.ts', import.meta.url).href, dir, names },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: Record<string, string>) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`hashing worker exited with ${code}`));
    });
  });
}
