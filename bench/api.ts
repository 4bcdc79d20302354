// Benchmark of the GraphQL API on loopback (issue 7):
//   1. `models(first: 20)` under 200 concurrent connections (autocannon) for BENCH_SECONDS (30):
//      requests/s, p99 latency, errors. Target p99 < 100 ms and no errors.
//   2. the same with a reader token (issue 20): ≥ 0.4× the anonymous `{ __typename }` req/s, p99 <
//      150 ms; and `{ __typename }` with a token ≥ 0.8× anonymous.
//   3. `modelTree` of a synthetic 10,000-node tree through HTTP (uncached) against the same recursive
//      CTE run bare with `pg` in this script. Target ≤ 3×.
// Uses DATABASE_URL's server when set (a scratch database is created on it), else an embedded
// Postgres in a temporary folder. The server runs as in production (NODE_ENV=production).
//   npm run bench:api

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type autocannon from 'autocannon';
import pg from 'pg';
import { CATALOG_MAX_AGE_SECONDS } from '../graphql/cache.js';
import { createPrismaClient } from '../src/db/client.js';
import { startHttpServer } from '../src/http/server.js';
import { createLogger } from '../src/log.js';
import { registryDeps } from '../src/registry/deps.js';
import { TREE_SQL } from '../src/registry/lineage.js';
import { JobQueue } from '../src/registry/queue.js';
import { createToken } from '../src/registry/tokens.js';
import { scratchDatabase } from './scratchDatabase.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const skipLoad = process.env.BENCH_SKIP_LOAD === '1';
const log = createLogger('warn', 'bench');
const scratch = await scratchDatabase('api', log);
const { home, cluster, url } = scratch;
const prisma = createPrismaClient(url, { poolSize: 20 });
const queue = await JobQueue.start(url, log);

// 200 catalog models, then a 10,000-node tree: every node has up to 4 children, breadth first.
await prisma.model.createMany({
  data: Array.from({ length: 200 }, (_, i) => ({
    owner: 'bench',
    name: `m-${i}`,
    kind: 'BASE' as const,
    status: 'READY' as const,
    parameterCount: BigInt(1e9 + i),
    tags: ['bench'],
  })),
});
const ids = Array.from({ length: 10_000 }, () => randomUUID());
for (let i = 0; i < ids.length; i += 2000) {
  await prisma.model.createMany({
    data: ids.slice(i, i + 2000).map((id, j) => ({
      id,
      owner: 'tree',
      name: `n-${i + j}`,
      kind: i + j === 0 ? ('BASE' as const) : ('DERIVED' as const),
      status: 'READY' as const,
      parameterCount: BigInt(1e6 - i - j),
    })),
  });
}
const edges = ids.slice(1).map((id, k) => ({
  parentId: ids[Math.floor(k / 4)]!,
  childId: id,
  relation: 'WIDTH_PRUNED' as const,
  recipe: { method: 'mlp-width', pruningFraction: 0.1 },
}));
for (let i = 0; i < edges.length; i += 2000) await prisma.lineageEdge.createMany({ data: edges.slice(i, i + 2000) });

const registry = registryDeps({ artifactsDir: join(home, 'artifacts'), modelRoots: [] }, { prisma, queue, log });
const server = await startHttpServer(
  {
    log,
    version: 'bench',
    embeddedDatabase: cluster.embedded,
    registry,
    publicReads: true,
  },
  { host: '127.0.0.1', port: 0, production: true },
);

const modelsQuery = JSON.stringify({
  query: '{ models(first: 20) { nodes { id name parameterCount status tags } pageInfo { hasNextPage endCursor } } }',
});
// The load generator runs in its own process: in this one it would share the server's event loop.
// A short first run warms the JIT and the response cache; the second is the measurement.
const load = (duration: number, body = modelsQuery, token?: string) =>
  new Promise<autocannon.Result>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(import.meta.resolve('autocannon/autocannon.js')),
        '-j',
        '-c',
        '200',
        '-d',
        String(duration),
        '-m',
        'POST',
        '-H',
        'content-type=application/json',
        ...(token ? ['-H', `authorization=Bearer ${token}`] : []),
        '-b',
        body,
        `${server.url}/graphql`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as autocannon.Result) : reject(new Error(`autocannon exited with ${code}`)),
    );
  });
await load(skipLoad ? 1 : 3);
const result = await load(skipLoad ? 1 : seconds);
const errors = result.errors + result.timeouts + result.non2xx;
console.log(
  `models(first: 20), anonymous (response cache, ${CATALOG_MAX_AGE_SECONDS} s), 200 connections, ${seconds} s: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors ${errors}`,
);
console.log(`  target p99 < 100 ms and 0 errors: ${result.latency.p99 < 100 && errors === 0 ? 'PASS' : 'FAIL'}`);
// The machine's ceiling: the same server and load generator on a query that touches nothing.
const floor = await load(skipLoad ? 1 : Math.min(seconds, 10), JSON.stringify({ query: '{ __typename }' }));
console.log(
  `  baseline { __typename } on the same server: ${Math.round(floor.requests.average)} req/s, p99 ${floor.latency.p99} ms; models p99 / baseline p99 = ${(result.latency.p99 / floor.latency.p99).toFixed(2)}×`,
);

// With a reader token: the path of servers with BONSAI_PUBLIC_READS=false, CI pipelines and a
// logged-in catalog. The token is verified once per few seconds (src/registry/tokenCache.ts) and
// catalog responses are shared with anonymous readers (graphql/cache.ts).
const readerToken = (await createToken(registry, { name: 'bench-load', role: 'READER' })).secret;
const typename = JSON.stringify({ query: '{ __typename }' });
await load(skipLoad ? 1 : 3, modelsQuery, readerToken);
const withToken = await load(skipLoad ? 1 : seconds, modelsQuery, readerToken);
const floorWithToken = await load(skipLoad ? 1 : Math.min(seconds, 10), typename, readerToken);
const tokenErrors = withToken.errors + withToken.timeouts + withToken.non2xx;
const ratio = withToken.requests.average / floor.requests.average;
console.log(
  `models(first: 20), reader token, 200 connections, ${seconds} s: ${Math.round(withToken.requests.average)} req/s, p50 ${withToken.latency.p50} ms, p99 ${withToken.latency.p99} ms, errors ${tokenErrors}; ${ratio.toFixed(2)}× anonymous { __typename }`,
);
console.log(
  `  target ≥ 0.4× anonymous { __typename }, p99 < 150 ms, 0 errors: ${ratio >= 0.4 && withToken.latency.p99 < 150 && tokenErrors === 0 ? 'PASS' : 'FAIL'}`,
);
const floorRatio = floorWithToken.requests.average / floor.requests.average;
console.log(
  `{ __typename }, reader token: ${Math.round(floorWithToken.requests.average)} req/s, p99 ${floorWithToken.latency.p99} ms; ${floorRatio.toFixed(2)}× anonymous`,
);
console.log(`  target ≥ 0.8× anonymous: ${floorRatio >= 0.8 ? 'PASS' : 'FAIL'}`);

// The bare CTE: the very statement the API runs (model rows and edges), with pg, no GraphQL or HTTP.
const bare = new pg.Client({ connectionString: url });
await bare.connect();
// A new operation name each run: a new document, never served from the response cache, so every
// run walks the tree (parsing and validating the short document costs microseconds).
const treeQuery = (run: number) =>
  JSON.stringify({
    query: `query Tree${run}($root: String!) { modelTree(root: $root, depth: 16) { size nodes { depth model { id name parameterCount } } edges { relation parent { id } child { id } } } }`,
    variables: { root: ids[0] },
  });
async function time(fn: () => Promise<void>, runs = 7): Promise<number> {
  await fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}
const reader = (await createToken(registry, { name: 'bench', role: 'READER' })).secret;
let size = 0;
let run = 0;
const api = await time(async () => {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${reader}` },
    body: treeQuery(run++),
  });
  const body = (await res.json()) as { data: { modelTree: { size: number } } };
  size = body.data.modelTree.size;
});
let rows = 0;
const cte = await time(async () => {
  rows = (await bare.query(TREE_SQL, [ids[0], 16])).rowCount ?? 0;
});
console.log(
  `modelTree of ${size} nodes: API ${api.toFixed(1)} ms, bare CTE ${cte.toFixed(1)} ms (${rows} rows), ratio ${(api / cte).toFixed(2)}×`,
);
console.log(`  target ≤ 3×: ${api / cte <= 3 ? 'PASS' : 'FAIL'}`);

await bare.end();
await server.close();
await queue.stop();
await prisma.$disconnect();
await scratch.drop();
