// Postgres restarted in the middle of a job: the runner, pg-boss and the job process reconnect,
// and the job completes (or is retried) to one READY model. A cluster of its own, so the restart
// does not touch the other test files' databases.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '../../src/db/client.js';
import { NON_DURABLE, type RunningDatabase, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { applyMigrations } from '../../src/db/migrations.js';
import { createLogger } from '../../src/log.js';
import { type RegistryDeps, registryDeps } from '../../src/registry/deps.js';
import { JobQueue } from '../../src/registry/queue.js';
import { registerModel } from '../../src/registry/register.js';
import { spawnPrunedVariant } from '../../src/registry/spawn.js';
import { Runner } from '../../workers/runner.js';
import { buildCheckpoint, SLOW_LLAMA } from '../fixtures/checkpoints.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

const log = createLogger('error');
let home: string;
let db: RunningDatabase;
let prisma: PrismaClient;
let queue: JobQueue;
let runner: Runner;
let deps: RegistryDeps;

beforeAll(async () => {
  home = tempDir('bonsai-restart-');
  // As root the cluster runs as `postgres`, which must be able to pass through the temp folder.
  chmodSync(home, 0o711);
  const roots = join(home, 'roots');
  // 24 layers, not SLOW_LLAMA's 12: on 12 the prune reached its writes during the 1.5 s outage and
  // went through a retry (20.4 s against 11.8 s for this file): the job must still be computing.
  await buildCheckpoint('llama', join(roots, 'big'), { config: { ...SLOW_LLAMA, num_hidden_layers: 24 } });
  // A test's cluster: started without durability (as the run's own), restarted below with the
  // defaults a registry gets.
  db = await startEmbeddedPostgres(join(home, 'db'), log, { settings: NON_DURABLE });
  await applyMigrations(db.url, log);
  prisma = createPrismaClient(db.url, { poolSize: 4 });
  queue = await JobQueue.start(db.url, log);
  deps = registryDeps({ artifactsDir: join(home, 'artifacts'), modelRoots: [roots] }, { prisma, queue, log });
  await registerModel(deps, { path: join(roots, 'big'), name: 'acme/big' });
  runner = new Runner(deps, queue, {
    concurrency: 1,
    databaseUrl: db.url,
    artifactsDir: deps.store.root,
    modelRoots: [roots],
    staleAfterMs: 6000,
  });
  await runner.start();
}, 120_000);

afterAll(async () => {
  await runner.stop();
  await queue.stop().catch(() => {});
  await prisma.$disconnect();
  await db.stop();
}, 60_000);

describe('Postgres restart', () => {
  /** The server's value of each of NON_DURABLE's settings. */
  const durability = async () =>
    Promise.all(NON_DURABLE.map(async (s) => (await prisma.$queryRawUnsafe<Array<Record<string, string>>>(`SHOW ${s.split('=')[0]}`))[0]));

  it('a job under way when Postgres restarts still ends with one READY model', async () => {
    expect(await durability()).toEqual([{ fsync: 'off' }, { synchronous_commit: 'off' }, { full_page_writes: 'off' }]);
    const { model, job } = await spawnPrunedVariant(
      deps,
      { parent: 'acme/big', recipe: { method: 'sparsity', sparsity: 0.5, scope: 'global' } },
      null,
    );
    await waitFor(
      'the job to run',
      async () => {
        const j = await prisma.job.findUniqueOrThrow({ where: { id: job.id } });
        return j.status === 'RUNNING' && j.progress > 0.02 ? true : undefined;
      },
      90_000,
      100,
    );
    await db.stop();
    await new Promise((r) => setTimeout(r, 1500));
    db = await startEmbeddedPostgres(join(home, 'db'), log);
    const ready = await waitFor(
      'READY',
      async () => {
        const m = await prisma.model.findUnique({ where: { id: model.id } }).catch(() => null);
        return m?.status === 'READY' ? m : undefined;
      },
      180_000,
      500,
    );
    expect(ready.artifactId).not.toBeNull();
    expect(await prisma.artifact.count({ where: { model: { id: model.id } } })).toBe(1);
    const final = await prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(final.status).toBe('SUCCEEDED');
    // Settings given at a start are not kept in the data folder: a registry's start is durable.
    expect(await durability()).toEqual([{ fsync: 'on' }, { synchronous_commit: 'on' }, { full_page_writes: 'on' }]);
  }, 300_000);
});
