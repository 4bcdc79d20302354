// Entry point of every worker thread: workers run our TypeScript through tsx's loader, like the
// main thread does, then load the module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
