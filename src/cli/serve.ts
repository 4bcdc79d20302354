import { startHttpServer } from '../../graphql/server.js';
import { Runner } from '../../workers/runner.js';
import { onShutdown, startRuntime, version } from './lifecycle.js';

export async function serve(options: { worker: boolean }): Promise<void> {
  const started = performance.now();
  const { config, log, database, prisma, registry, queue } = await startRuntime('serve');
  const http = await startHttpServer(
    { prisma, log, version, embeddedDatabase: database.embedded, registry, publicReads: config.publicReads },
    { host: config.host, port: config.port, production: config.production },
  );
  // Jobs run in their own processes, so the in-process worker never blocks the API.
  const runner = options.worker
    ? new Runner(registry, queue, {
        concurrency: config.workerConcurrency,
        databaseUrl: database.url,
        artifactsDir: config.artifactsDir,
        modelRoots: config.modelRoots,
        staleAfterMs: config.jobStaleSeconds * 1000,
      })
    : null;
  await runner?.start();
  onShutdown(log, [
    ['http', () => http.close()],
    ['worker', async () => runner?.stop()],
    ['queue', () => queue.stop()],
    ['prisma', () => prisma.$disconnect()],
    ['database', () => database.stop()],
  ]);
  log.info(`Bonsai ${version} ready in ${Math.round(performance.now() - started)} ms`);
  log.info(`catalog  ${http.url}/`);
  log.info(`GraphQL  ${http.url}/graphql`);
  if (runner) log.info(`worker   ${config.workerConcurrency} job(s) at a time`);
}
