import { parentPort, workerData } from 'node:worker_threads';
import { hashFolder } from './output.js';

parentPort?.postMessage(await hashFolder((workerData as { dir: string }).dir));
