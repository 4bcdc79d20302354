import { onShutdown, startRuntime } from './lifecycle.js';

export async function worker(options: { concurrency?: number }): Promise<void> {
  const { config, log, database, prisma } = await startRuntime('worker');
  const concurrency = options.concurrency ?? config.workerConcurrency;
  onShutdown(log, [
    ['prisma', () => prisma.$disconnect()],
    ['database', () => database.stop()],
  ]);
  log.info(`worker ready (concurrency ${concurrency}); waiting for jobs`);
}
