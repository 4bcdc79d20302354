// Benchmark of the job pipeline (issue 8) on real parts: embedded Postgres, pg-boss, the runner
// and its job processes. Figures:
//  1. spawnPrunedVariant → READY for the shared model, 40 % width + perplexity on kjv-val.txt;
//  2. spawn-to-start latency with an idle worker;
//  3. under 100 queued jobs (one worker slot): the gap between one job's end and the next one's
//     start, the queue's own overhead, against the job's run time; with the job processes kept
//     between jobs (BONSAI_JOB_PROCESS_MAX_JOBS, the default) against a fresh process for each job
//     (BONSAI_JOB_PROCESS_MAX_JOBS=1, as before), each on a runner of its own, with the CPU seconds
//     of the whole worker (this process and its job processes).
//   npm run bench:queue
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromGlobalId } from '../graphql/globalId.js';
import { createPrismaClient } from '../src/db/client.js';
import { startHttpServer } from '../src/http/server.js';
import { createLogger } from '../src/log.js';
import { recipeInput } from '../src/recipes/fields.js';
import { registryDeps } from '../src/registry/deps.js';
import { JobQueue } from '../src/registry/queue.js';
import { createToken } from '../src/registry/tokens.js';
import { sharedDir, sharedModel } from '../test/fixtures/checkpoints.js';
import { cpuSeconds as measuredCpuSeconds } from '../test/helpers/cpuSeconds.js';
import { Runner } from '../workers/runner.js';
import { graphqlClient } from './gql.js';
import { scratchDatabase } from './scratchDatabase.js';

const QUEUED = Number(process.env.BENCH_JOBS ?? 100);
// Job processes inherit the environment: keep their info lines out of the figures.
process.env.LOG_LEVEL ??= 'warn';
const log = createLogger('warn', 'bench');
const scratch = await scratchDatabase('queue', log);
const { home, url } = scratch;
const roots = join(home, 'imports');
mkdirSync(roots);
cpSync(sharedModel, join(roots, 'tiny-llama-kjv'), { recursive: true });
cpSync(join(sharedDir, 'data', 'kjv-val.txt'), join(roots, 'kjv-val.txt'));

const prisma = createPrismaClient(url);
const queue = await JobQueue.start(url, log);
const registry = registryDeps({ artifactsDir: join(home, 'artifacts'), modelRoots: [roots] }, { prisma, queue, log });
const server = await startHttpServer(
  { log, version: 'bench', embeddedDatabase: scratch.cluster.embedded, registry, publicReads: true },
  { host: '127.0.0.1', port: 0, production: true },
);
const startRunner = async (maxJobsPerProcess?: number) => {
  const r = new Runner(registry, queue, {
    concurrency: 1,
    databaseUrl: url,
    artifactsDir: registry.store.root,
    modelRoots: [roots],
    maxJobsPerProcess,
  });
  await r.start();
  return r;
};
let runner = await startRunner();
const token = (await createToken(registry, { name: 'bench', role: 'MAINTAINER' })).secret;

const gql = graphqlClient(
  () => server.url,
  () => token,
);

const SPAWN = `mutation($r: PruningRecipeInput!, $n: String!, $e: [EvaluationTaskInput!]) { spawnPrunedVariant(parent: "bench/kjv", recipe: $r, name: $n, evaluate: $e) { model { id } } }`;

/** Spawns through the API and returns the child's database id. */
async function spawn(variables: Record<string, unknown>): Promise<string> {
  const d = await gql<{ spawnPrunedVariant: { model: { id: string } } }>(SPAWN, variables);
  return fromGlobalId(d.spawnPrunedVariant.model.id).id;
}

async function waitAll(ids: string[]): Promise<void> {
  for (;;) {
    const models = await prisma.model.findMany({ where: { id: { in: ids } }, select: { status: true } });
    if (models.length !== ids.length) throw new Error('a benchmark model is missing');
    if (models.some((m) => m.status === 'FAILED')) throw new Error('a benchmark job failed');
    if (models.every((m) => m.status === 'READY')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** This process's CPU seconds and its ended children's (Linux only: the benchmark needs the figure). */
function cpuSeconds(): number {
  const s = measuredCpuSeconds();
  if (s === undefined) throw new Error('bench:queue reads CPU time from /proc/self/stat (Linux)');
  return s;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

try {
  await gql(`mutation($p: String!) { registerModel(path: $p, name: "bench/kjv") { model { id } } }`, {
    p: join(roots, 'tiny-llama-kjv'),
  });

  // 1. The pipeline end to end.
  let t = performance.now();
  const w = await spawn({
    r: recipeInput({ method: 'mlp-width', pruningFraction: 0.4 }),
    n: 'bench/kjv-w40',
    e: [{ task: 'perplexity', data: join(roots, 'kjv-val.txt') }],
  });
  await waitAll([w]);
  const pipeline = (performance.now() - t) / 1000;
  const jobs = await prisma.job.findMany({ where: { modelId: w }, orderBy: { createdAt: 'asc' } });
  const work = jobs.reduce((a, j) => a + (j.finishedAt!.getTime() - j.startedAt!.getTime()), 0) / 1000;
  console.log(
    `spawn → READY, shared model, 40 % width + perplexity (kjv-val): ${pipeline.toFixed(1)} s; ` +
      `prune + evaluate jobs ran ${work.toFixed(1)} s → queue and hand-over ${(pipeline - work).toFixed(1)} s (${((100 * (pipeline - work)) / pipeline).toFixed(0)} %)`,
  );

  // 2. Idle worker: how long a spawned job waits before it starts.
  t = performance.now();
  const one = await spawn({ r: recipeInput({ method: 'depth', last: 1 }), n: 'bench/kjv-idle' });
  await waitAll([one]);
  const idle = await prisma.job.findFirstOrThrow({ where: { modelId: one } });
  const idleLatency = idle.startedAt!.getTime() - idle.createdAt.getTime();
  console.log(
    `spawn-to-start, idle worker: ${idleLatency} ms (against pg-boss's 500-ms poll: ${(idleLatency / 500).toFixed(2)}×; the API wakes its own worker)`,
  );

  // 3. 100 queued at once, one slot: the gaps between consecutive jobs; kept processes against a
  // process per job, each on a fresh runner (stopped after, so its processes' CPU is counted).
  await runner.stop();
  const seconds: Record<string, { wall: number; cpu: number; job: number }> = {};
  for (const [label, max] of [
    ['a process per job (BONSAI_JOB_PROCESS_MAX_JOBS=1)', 1],
    ['processes kept between jobs (the default)', undefined],
  ] as const) {
    const cpu0 = cpuSeconds();
    runner = await startRunner(max);
    const ids: string[] = [];
    t = performance.now();
    for (let i = 0; i < QUEUED; i++)
      ids.push(await spawn({ r: recipeInput({ method: 'depth', last: 1 }), n: `bench/kjv-q${max ?? 'kept'}-${i}` }));
    const spawnSeconds = (performance.now() - t) / 1000;
    await waitAll(ids);
    const wall = (performance.now() - t) / 1000;
    await runner.stop();
    const cpu = cpuSeconds() - cpu0;
    const run = await prisma.job.findMany({ where: { modelId: { in: ids } }, orderBy: { startedAt: 'asc' } });
    const gaps = run.slice(1).map((j, i) => j.startedAt!.getTime() - run[i]!.finishedAt!.getTime());
    const durations = run.map((j) => j.finishedAt!.getTime() - j.startedAt!.getTime());
    const once = new Set(run.map((j) => j.modelId)).size === QUEUED && run.every((j) => j.attempts === 1);
    seconds[label] = { wall, cpu, job: pct(durations, 0.5) };
    console.log(
      `${QUEUED} queued jobs, one slot, ${label} (spawned in ${spawnSeconds.toFixed(1)} s): done in ${wall.toFixed(1)} s, ` +
        `${cpu.toFixed(1)} CPU-s (${(cpu / QUEUED).toFixed(2)} a job, API and spawning included); ` +
        `gap between jobs median ${pct(gaps, 0.5)} ms, p95 ${pct(gaps, 0.95)} ms, max ${Math.max(...gaps)} ms; ` +
        `job run median ${pct(durations, 0.5)} ms → queue overhead ${((100 * pct(gaps, 0.5)) / pct(durations, 0.5)).toFixed(0)} % of a job; ` +
        `each ran exactly once: ${once ? 'yes' : 'NO'}`,
    );
  }
  const [fresh, kept] = Object.values(seconds) as [(typeof seconds)[string], (typeof seconds)[string]];
  console.log(
    `kept processes against a process per job: wall ${(kept.wall / fresh.wall).toFixed(2)}×, CPU ${(kept.cpu / fresh.cpu).toFixed(2)}×, ` +
      `job run median ${(kept.job / fresh.job).toFixed(2)}×`,
  );
} finally {
  await runner.stop();
  await server.close();
  await queue.stop();
  await prisma.$disconnect();
  await scratch.drop();
}
