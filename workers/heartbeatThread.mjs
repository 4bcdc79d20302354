// The body of a job process's heartbeat thread (workers/progress.ts): its own connection and its
// own event loop, so the heartbeat goes on while the job's main thread is busy — onnxruntime-node's
// session.run is synchronous, and one run of a 2-billion-parameter model on two cores takes
// longer than BONSAI_JOB_STALE_SECONDS, after which the job would be handed to another worker and
// its temporary folder cleaned up under it.
// Plain JavaScript that imports only pg (and src/nodeNavigator.mjs), and the SQL comes with its workerData: the thread starts
// with every job process, and starting it through src/workerBootstrap.mjs (esbuild's API loaded, the
// bundle's sources hashed, then the bundle) cost 0.17 CPU-s against 0.08 this way (issue 28).
// One thread serves every job its process runs (workers/job.ts): each message names the job to
// beat for (`{ jobId, everyMs }`) or none (`{ jobId: null, pause: N }`, answered with
// `{ paused: N }` once no beat for the last job can still be written); 'stop' closes the
// connection and ends the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { defineNodeNavigator } from '../src/nodeNavigator.mjs';

// Before pg loads (its Cloudflare probe would load undici on Node 20): a thread has globals of its own.
defineNodeNavigator();
const { default: pg } = await import('pg');

/** @type {{ databaseUrl: string; sql: string }} */
const { databaseUrl, sql } = workerData;

/**
 * The connection, made when a beat needs one: one that failed or was closed (a Postgres restart,
 * an idle connection killed) is dropped and made again at the next beat, so a process kept for
 * many jobs never goes on with a dead one.
 * @type {import('pg').Client | null}
 */
let client = null;
async function connected() {
  if (client) return client;
  const c = new pg.Client({ connectionString: databaseUrl });
  const drop = () => {
    if (client === c) client = null;
  };
  c.on('error', drop);
  c.on('end', drop);
  client = c;
  try {
    await c.connect();
  } catch (err) {
    drop();
    throw err;
  }
  return c;
}

/** @type {NodeJS.Timeout | undefined} */
let timer;
/** The last beat's query: a pause waits for it, so no beat for a finished job lands after the pause. */
let beating = Promise.resolve();
/** @param {string} id */
const beat = (id) => {
  beating = beating
    .then(connected)
    .then((c) => c.query(sql, [id]))
    .then(
      () => undefined,
      () => {
        // A failed beat: the next one connects afresh.
        const c = client;
        client = null;
        c?.end().catch(() => undefined);
      },
    );
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

parentPort?.on('message', async (message) => {
  if (message === 'stop') {
    beatFor(null, 0);
    await beating;
    await client?.end().catch(() => undefined);
    parentPort?.close();
    return;
  }
  beatFor(message.jobId, message.everyMs);
  // A pause is answered with its own number, so a late answer to an earlier one is not taken for it.
  if (message.jobId === null) {
    await beating;
    parentPort?.postMessage({ paused: message.pause });
  }
});
