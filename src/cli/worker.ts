import { Runner } from '../../workers/runner.js';
import { onShutdown, startRuntime } from './lifecycle.js';

export async function worker(options: { concurrency?: number }): Promise<void> {
  const { config, log, database, prisma, registry, queue } = await startRuntime('worker', { join: true });
  const concurrency = options.concurrency ?? Math.max(1, config.workerConcurrency);
  const runner = new Runner(registry, queue, {
    concurrency,
    databaseUrl: database.url,
    artifactsDir: config.artifactsDir,
    modelRoots: config.modelRoots,
    staleAfterMs: config.jobStaleSeconds * 1000,
    maxJobsPerProcess: config.jobProcessMaxJobs,
  });
  await runner.start();
  onShutdown(log, [
    ['worker', () => runner.stop()],
    ['queue', () => queue.stop()],
    ['prisma', () => prisma.$disconnect()],
    ['database', () => database.stop()],
  ]);
  log.info(`worker ready (concurrency ${concurrency}); waiting for jobs`);
}
