// The body of a job's heartbeat thread (workers/progress.ts): its own connection and its own
// event loop, so the heartbeat goes on while the job's main thread is busy — onnxruntime-node's
// session.run is synchronous, and one run of a 2-billion-parameter model on two cores takes
// longer than BONSAI_JOB_STALE_SECONDS, after which the job would be handed to another worker and
// its temporary folder cleaned up under it.
// Plain JavaScript that imports only pg (and src/nodeNavigator.mjs), and the SQL comes with its workerData: the thread starts
// with every job, and starting it through src/workerBootstrap.mjs (esbuild's API loaded, the
// bundle's sources hashed, then the bundle) cost 0.17 CPU-s against 0.08 this way (issue 28).
import { parentPort, workerData } from 'node:worker_threads';
import { defineNodeNavigator } from '../src/nodeNavigator.mjs';

// Before pg loads (its Cloudflare probe would load undici on Node 20): a thread has globals of its own.
defineNodeNavigator();
const { default: pg } = await import('pg');

/** @type {{ databaseUrl: string; jobId: string; everyMs: number; sql: string }} */
const { databaseUrl, jobId, everyMs, sql } = workerData;
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
const beat = () =>
  client
    .query(sql, [jobId])
    .then(() => undefined)
    .catch(() => undefined);
// The first beat as soon as the connection is up: the runner beats for a process only while it starts.
void beat();
const timer = setInterval(beat, everyMs);
parentPort?.once('message', async () => {
  clearInterval(timer);
  await client.end().catch(() => undefined);
  parentPort?.close();
});
