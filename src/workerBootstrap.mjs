// Entry point of our TypeScript worker threads (the pruning's hashing): loads the module named in
// workerData from a bundle of it (src/bundle.mjs), or through tsx's loader, like the main thread
// does, where no bundle can be built. A job's heartbeat thread, which starts with every job, is
// plain JavaScript started without it (workers/heartbeatThread.mjs: esbuild's API is not loaded).
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
