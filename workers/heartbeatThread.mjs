// The body of a job process's heartbeat thread (workers/progress.ts): its own connection and its
// own event loop, so the heartbeat goes on while the job's main thread is busy — onnxruntime-node's
// session.run is synchronous, and one run of a 2-billion-parameter model on two cores takes
// longer than BONSAI_JOB_STALE_SECONDS, after which the job would be handed to another worker and
// its temporary folder cleaned up under it.
// Plain JavaScript that imports only pg (and src/nodeNavigator.mjs), and the SQL comes with its workerData: the thread starts
// with every job process, and starting it through src/workerBootstrap.mjs (esbuild's API loaded, the
// bundle's sources hashed, then the bundle) cost 0.17 CPU-s against 0.08 this way (issue 28).
// One thread serves every job its process runs (workers/job.ts): each message names the job to
// beat for (`{ jobId, everyMs }`) or none (`{ jobId: null }`, answered with 'paused' once no beat
// for the last job can still be written); 'stop' closes the connection and ends the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { defineNodeNavigator } from '../src/nodeNavigator.mjs';

// Before pg loads (its Cloudflare probe would load undici on Node 20): a thread has globals of its own.
defineNodeNavigator();
const { default: pg } = await import('pg');

/** @type {{ databaseUrl: string; sql: string; jobId?: string; everyMs?: number }} */
const { databaseUrl, sql, jobId, everyMs } = workerData;
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();

/** @type {NodeJS.Timeout | undefined} */
let timer;
/** The last beat's query: a pause waits for it, so no beat for a finished job lands after the pause. */
let beating = Promise.resolve();
/** @param {string} id */
const beat = (id) => {
  beating = client
    .query(sql, [id])
    .then(() => undefined)
    .catch(() => undefined);
};
/** @param {string | null} id @param {number} every */
const beatFor = (id, every) => {
  clearInterval(timer);
  timer = undefined;
  if (id === null) return;
  // The first beat as soon as the job is named: the runner beats for a process only while it starts.
  beat(id);
  timer = setInterval(() => beat(id), every);
};

if (jobId) beatFor(jobId, everyMs ?? 3000);
parentPort?.on('message', async (message) => {
  if (message === 'stop') {
    beatFor(null, 0);
    await beating;
    await client.end().catch(() => undefined);
    parentPort?.close();
    return;
  }
  beatFor(message.jobId, message.everyMs);
  if (message.jobId === null) {
    await beating;
    parentPort?.postMessage('paused');
  }
});
