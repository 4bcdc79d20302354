// Benchmark of the Hub protocol (issue 27, "Speed"), on a generated ~1 GB BF16 Llama-style
// checkpoint in one safetensors file, served by a Bonsai started in this process (embedded
// Postgres or DATABASE_URL's server, a scratch database, production mode). Each client runs in
// its own process, as a user's would, so it does not share the server's event loop.
//  1. upload through @huggingface/hub (createRepo + uploadFiles of the folder: the LFS batch API,
//     one PUT, the commit) against `cp` of the weight file; the server's RSS growth meanwhile.
//     Targets: ≤ 3× cp, RSS growth ≤ 300 MB.
//  2. download of the weight file through /OWNER/NAME/resolve/main/model.safetensors by curl to
//     /dev/null against `cat` of the same store blob to /dev/null, from the page cache and (root on
//     Linux) from disk, the cache dropped before each read. Target: ≥ 0.8× cat's throughput from disk.
//     Beside it, a bare node:http server streaming the same blob: the ceiling of a Node server here.
//  3. a Range request for the last 1 MB. Target: median of 20 < 50 ms.
//   npm run bench:hub            (BENCH_DIR for the generated checkpoint; kept between runs)
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRepo, uploadFiles } from '@huggingface/hub';
import { createPrismaClient } from '../src/db/client.js';
import { startHttpServer } from '../src/http/server.js';
import { createLogger } from '../src/log.js';
import { registryDeps } from '../src/registry/deps.js';
import { JobQueue } from '../src/registry/queue.js';
import { createToken } from '../src/registry/tokens.js';
import { sharedModel } from '../test/fixtures/checkpoints.js';
import { generatedLlama1GB } from '../test/fixtures/configs.js';
import { graphqlClient } from './gql.js';
import { writeRandomCheckpoint } from './randomCheckpoint.js';
import { scratchDatabase } from './scratchDatabase.js';

const MB = 1024 * 1024;
const WEIGHTS = 'model.safetensors';
const REPO = 'bench/hub';
// bench:prune's model (≈ 477 M parameters, 954 MB in BF16), in one file as small models ship.
const config = generatedLlama1GB;

/** The upload client: createRepo, then uploadFiles of every file of the folder. */
async function uploadChild(hubUrl: string, accessToken: string, dir: string): Promise<void> {
  await createRepo({ repo: REPO, accessToken, hubUrl });
  const t = performance.now();
  // Each request's start and end, to split the time: the client's hashing comes before the first
  // request (preupload), the bytes travel in the PUT, the server checks and records in the commit.
  const phases: Array<{ request: string; start: number; end: number }> = [];
  const timed: typeof fetch = async (url, init) => {
    const start = performance.now();
    const res = await fetch(url, init);
    const path = new URL(String(url)).pathname;
    const what = path.includes('/commit/')
      ? 'commit'
      : path.includes('preupload')
        ? 'preupload'
        : path.includes('batch')
          ? 'lfs-batch'
          : 'lfs';
    phases.push({ request: `${init?.method ?? 'GET'} ${what}`, start: (start - t) / 1000, end: (performance.now() - t) / 1000 });
    return res;
  };
  await uploadFiles({
    repo: REPO,
    accessToken,
    hubUrl,
    fetch: timed,
    files: readdirSync(dir).map((f) => ({ path: f, content: pathToFileURL(join(dir, f)) })),
  });
  process.stdout.write(JSON.stringify({ seconds: (performance.now() - t) / 1000, phases }));
}

function run(cmd: string, args: string[]): { seconds: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * MB });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return { seconds: (performance.now() - t) / 1000, stdout: r.stdout };
}

/** The server's largest RSS above `before` while `work` runs (sampled every 20 ms). */
async function rssGrowth<T>(work: () => Promise<T>): Promise<{ value: T; growth: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, growth: peak - before };
  } finally {
    clearInterval(timer);
  }
}

/** An asynchronous child, so the server in this process answers it. */
function spawnAsync(cmd: string, args: string[]): Promise<{ seconds: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve({ seconds: (performance.now() - t) / 1000, stdout: out }) : reject(new Error(`${cmd} exited with ${code}`)),
    );
  });
}

/** Empties the page cache (root on Linux), so the next read comes from the disk; false where it cannot. */
function dropCaches(): boolean {
  return spawnSync('sh', ['-c', 'sync && echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' }).status === 0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

async function main(): Promise<void> {
  const base = process.env.BENCH_DIR ?? tmpdir();
  const src = join(base, 'bonsai-bench-hub-src');
  if (!statSync(join(src, 'config.json'), { throwIfNoEntry: false })) process.stderr.write(`writing a checkpoint to ${src}\n`);
  await writeRandomCheckpoint(src, config, { tokenizerDir: sharedModel, maxShardBytes: 8 * 1024 * MB });
  const size = statSync(join(src, WEIGHTS)).size;

  process.env.LOG_LEVEL ??= 'warn';
  const log = createLogger('warn', 'bench');
  const scratch = await scratchDatabase('hub', log);
  const prisma = createPrismaClient(scratch.url);
  const queue = await JobQueue.start(scratch.url, log);
  const registry = registryDeps({ artifactsDir: join(scratch.home, 'artifacts'), modelRoots: [] }, { prisma, queue, log });
  const server = await startHttpServer(
    {
      log,
      version: 'bench',
      embeddedDatabase: scratch.cluster.embedded,
      registry,
      publicReads: true,
    },
    { host: '127.0.0.1', port: 0, production: true },
  );
  const token = (await createToken(registry, { name: 'bench', role: 'MAINTAINER' })).secret;
  const gql = graphqlClient(
    () => server.url,
    () => token,
  );
  let failed = false;
  try {
    console.log(`Hub protocol, ${(size / MB).toFixed(0)} MB ${WEIGHTS} (${new Date().toISOString()})`);

    // 1. Upload, against cp of the weight file (page cache warm for both).
    run('sh', ['-c', `cat '${join(src, WEIGHTS)}' > /dev/null`]);
    const copy = join(base, 'bonsai-bench-hub-cp');
    const cps: number[] = [];
    for (let i = 0; i < 3; i++) {
      rmSync(copy, { force: true });
      cps.push(run('cp', [join(src, WEIGHTS), copy]).seconds);
    }
    rmSync(copy, { force: true });
    const cp = Math.min(...cps);
    const up = await rssGrowth(() =>
      spawnAsync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--upload', server.url, token, src]),
    );
    const { seconds: upload, phases } = JSON.parse(up.value.stdout) as {
      seconds: number;
      phases: Array<{ request: string; start: number; end: number }>;
    };
    const uploadRatio = upload / cp;
    failed ||= uploadRatio > 3 || up.growth > 300 * MB;
    console.log(
      `  upload (@huggingface/hub uploadFiles)  ${upload.toFixed(2)} s   cp ${cp.toFixed(2)} s   ratio ${uploadRatio.toFixed(2)}× (target ≤ 3×)  ${verdict(uploadRatio <= 3)}`,
    );
    console.log(
      `    its requests, seconds from the start: ${phases.map((p) => `${p.request} ${p.start.toFixed(2)}–${p.end.toFixed(2)}`).join(', ')}`,
    );
    console.log(
      `  server RSS growth during the upload     ${(up.growth / MB).toFixed(0)} MB (target ≤ 300 MB)  ${verdict(up.growth <= 300 * MB)}`,
    );

    // 2. Download through /resolve by curl against cat of the store's blob.
    const files = await gql<{ model: { status: string; files: Array<{ path: string; sha256: string }> } }>(
      'query($n: String!) { model(name: $n) { status files { path sha256 } } }',
      { n: REPO },
    );
    const weights = files.model.files.find((f) => f.path === WEIGHTS);
    if (!weights) throw new Error(`the upload left no ${WEIGHTS} (model ${files.model.status})`);
    // The weights are stored in tensor pieces (src/storage/store.ts): the baseline reads the same
    // bytes as one whole file on the same disk, which is what the issue 31 goal compares against.
    const blob = join(scratch.home, 'weights-whole.safetensors');
    await registry.store.copyBlob(weights.sha256, blob);
    const url = `${server.url}/${REPO}/resolve/main/${WEIGHTS}`;
    run('sh', ['-c', `cat '${blob}' > /dev/null`]);
    // The runtime's own ceiling: a bare node:http server streaming the same blob with the same
    // read size, fetched by the same curl (what any Node server could do on this machine).
    const bare = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': size });
      createReadStream(blob, { highWaterMark: 1 << 20 }).pipe(res);
    });
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
    // Five rounds, the three sides alternating, each side's best kept (the VM's speed varies).
    const cats: number[] = [];
    const curls: number[] = [];
    const bareTimes: number[] = [];
    let downloadGrowth = 0;
    for (let i = 0; i < 5; i++) {
      cats.push(run('sh', ['-c', `cat '${blob}' > /dev/null`]).seconds);
      const d = await rssGrowth(() => spawnAsync('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download}', url]));
      if (Number(d.value.stdout) !== size) throw new Error(`curl received ${d.value.stdout} bytes, not ${size}`);
      curls.push(d.value.seconds);
      downloadGrowth = Math.max(downloadGrowth, d.growth);
      bareTimes.push((await spawnAsync('curl', ['-sS', '-o', '/dev/null', bareUrl])).seconds);
    }
    bare.close();
    const bareBest = Math.min(...bareTimes);
    const cat = Math.min(...cats);
    const download = Math.min(...curls);
    const throughput = cat / download;
    console.log(
      `  download (curl of /resolve), cached    ${download.toFixed(3)} s = ${(size / MB / download).toFixed(0)} MB/s   cat ${cat.toFixed(3)} s = ${(size / MB / cat).toFixed(0)} MB/s   throughput ${throughput.toFixed(2)}×`,
    );
    // The target reads "the blob from disk": with the page cache dropped before every read (root
    // on Linux), cat and the download both read the disk; where it cannot be dropped, the cached
    // figures above are the ones judged.
    const coldCats: number[] = [];
    const coldCurls: number[] = [];
    for (let i = 0; i < 3 && dropCaches(); i++) {
      coldCats.push(run('sh', ['-c', `cat '${blob}' > /dev/null`]).seconds);
      dropCaches();
      coldCurls.push((await spawnAsync('curl', ['-sS', '-o', '/dev/null', url])).seconds);
    }
    const judged = coldCats.length ? Math.min(...coldCats) / Math.min(...coldCurls) : throughput;
    failed ||= judged < 0.8;
    if (coldCats.length) {
      const c = Math.min(...coldCats);
      const d = Math.min(...coldCurls);
      console.log(
        `  download (curl of /resolve), from disk ${d.toFixed(3)} s = ${(size / MB / d).toFixed(0)} MB/s   cat ${c.toFixed(3)} s = ${(size / MB / c).toFixed(0)} MB/s   throughput ${judged.toFixed(2)}× (target ≥ 0.8×)  ${verdict(judged >= 0.8)}`,
      );
    } else console.log(`  (page cache cannot be dropped here: the cached figures are judged, target ≥ 0.8×)  ${verdict(judged >= 0.8)}`);
    console.log(
      `  bare node:http server, same blob       ${bareBest.toFixed(3)} s = ${(size / MB / bareBest).toFixed(0)} MB/s   Bonsai / bare ${(bareBest / download).toFixed(2)}× the throughput`,
    );
    console.log(`  server RSS growth during a download    ${(downloadGrowth / MB).toFixed(0)} MB`);

    // 3. The last 1 MB by a Range request, from a client process (20 in a row, one connection).
    const ranged = await spawnAsync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--range', url, String(size)]);
    const times = JSON.parse(ranged.stdout) as number[];
    const mid = median(times);
    failed ||= mid >= 50;
    console.log(
      `  Range: bytes=-1048576 (last 1 MB)      median ${mid.toFixed(1)} ms of ${times.length}, max ${Math.max(...times).toFixed(1)} ms (target median < 50 ms)  ${verdict(mid < 50)}`,
    );
  } finally {
    await server.close();
    await queue.stop();
    await prisma.$disconnect();
    await scratch.drop();
  }
  if (failed) process.exitCode = 1;
}

/** The Range client: 20 requests for the last 1 MB, each checked, their times in ms. */
async function rangeChild(url: string, size: number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers: { range: `bytes=-${MB}` } });
    const body = await res.arrayBuffer();
    if (res.status !== 206 || body.byteLength !== MB || res.headers.get('content-range') !== `bytes ${size - MB}-${size - 1}/${size}`)
      throw new Error(`Range answered ${res.status} with ${body.byteLength} bytes`);
    // The first request opens the connection and warms the route; the 20 after it are timed.
    if (i > 0) times.push(performance.now() - t);
  }
  process.stdout.write(JSON.stringify(times));
}

if (process.argv[2] === '--upload') await uploadChild(process.argv[3]!, process.argv[4]!, process.argv[5]!);
else if (process.argv[2] === '--range') await rangeChild(process.argv[3]!, Number(process.argv[4]));
else await main();
