import { parentPort, workerData } from 'node:worker_threads';
import { hashFolder } from './output.js';

const { dir, names } = workerData as { dir: string; names: string[] };
parentPort?.postMessage(await hashFolder(dir, names));
