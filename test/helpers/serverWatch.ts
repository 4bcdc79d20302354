// Watches a server process from a worker thread while a test hammers it: /healthz every 50 ms
// (each answer's time) and the process's RSS from /proc (test/security/surface.test.ts).
// Each /healthz is timed beside a request to a bare HTTP server in a process of its own: on a
// loaded machine (the suite runs files in parallel on two cores) both wait for the scheduler, and
// only the time /healthz takes beyond the bare server's is the server's own delay.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/**
 * Polls /healthz every 50 ms and samples the server's RSS until stopped, on a worker thread: the
 * cases' own work on the main thread (rendering a 2 MB body) must not count as the server's delay.
 */
const WATCHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const rss = () => Number(/VmRSS:\\s+(\\d+) kB/.exec(readFileSync('/proc/' + workerData.pid + '/status', 'utf8'))[1]) * 1024;
let running = true;
parentPort.on('message', () => { running = false; });
(async () => {
  const time = async (url) => {
    const started = performance.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.status !== 200) seen.failures.push(url + ' answered ' + res.status);
    } catch (err) {
      seen.failures.push(url + ': ' + err.message);
    }
    return performance.now() - started;
  };
  const seen = { slowestHealthz: 0, slowestAt: 0, healthzMs: [], peakRss: rss(), rssSeries: [], failures: [] };
  // The first fetch of a thread loads the HTTP client (~100 ms): not the server's time.
  await Promise.all([time(workerData.url + '/healthz'), time(workerData.control)]);
  while (running) {
    const [healthz, control] = await Promise.all([time(workerData.url + '/healthz'), time(workerData.control)]);
    const ms = Math.max(0, healthz - control);
    if (ms > seen.slowestHealthz) Object.assign(seen, { slowestHealthz: ms, slowestAt: Date.now() });
    seen.healthzMs.push(ms);
    seen.peakRss = Math.max(seen.peakRss, rss());
    // Every 40th sample, to tell a leak (a rising line) from the garbage collector's sawtooth.
    if (seen.healthzMs.length % 40 === 0) seen.rssSeries.push(Math.round(rss() / 1048576));
    await new Promise((r) => setTimeout(r, 50));
  }
  parentPort.postMessage(seen);
})();
`;

export interface Watched {
  /** The slowest /healthz, beyond the bare server's time at that moment. */
  slowestHealthz: number;
  slowestAt: number;
  /** Each /healthz's time beyond the bare server's. */
  healthzMs: number[];
  rssSeries: number[];
  peakRss: number;
  failures: string[];
}

const BARE_SERVER =
  "require('node:http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', function () { console.log(this.address().port) })";

export async function watch(pid: number, url: string) {
  const bare = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [port] = (await once(bare.stdout!, 'data')) as [Buffer];
  const control = `http://127.0.0.1:${String(port).trim()}/`;
  const worker = new Worker(WATCHER, { eval: true, workerData: { pid, url, control } });
  const result = new Promise<Watched>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    stop: async () => {
      worker.postMessage('stop');
      try {
        return await result;
      } finally {
        await worker.terminate();
        bare.kill();
        await once(bare, 'exit');
      }
    },
  };
}
