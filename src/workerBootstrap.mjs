// Entry point of every worker thread: loads the module named in workerData from a bundle of it
// (src/bundle.mjs; a job's heartbeat thread starts with every job, issue 28), or through tsx's
// loader, like the main thread does, where no bundle can be built.
import { basename, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';
import { bundledEntry } from './bundle.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const source = fileURLToPath(workerData.module);
let url;
try {
  url = pathToFileURL(await bundledEntry(relative(ROOT, source), `thread-${basename(source, '.ts')}`)).href;
} catch {
  const { register } = await import('tsx/esm/api');
  register();
  url = workerData.module;
}
await import(url);
