import { type RunningServer, startHttpServer } from '../../graphql/server.js';
import { Runner } from '../../workers/runner.js';
import { onShutdown, type Runtime, startRuntime, version } from './lifecycle.js';

export interface Serving {
  runtime: Runtime;
  http: RunningServer;
  runner: Runner | null;
}

/** The API, the catalog and (optionally) a worker, with one ordered shutdown on SIGINT/SIGTERM. */
export async function startServing(scope: string, options: { worker: boolean }): Promise<Serving> {
  const runtime = await startRuntime(scope);
  const { config, log, database, prisma, registry, queue } = runtime;
  const http = await startHttpServer(
    { prisma, log, version, embeddedDatabase: database.embedded, registry, publicReads: config.publicReads },
    { host: config.host, port: config.port, production: config.production },
  );
  // Jobs run in their own processes, so the in-process worker never blocks the API.
  const runner =
    options.worker && config.workerConcurrency > 0
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
  return { runtime, http, runner };
}

export async function serve(options: { worker: boolean }): Promise<void> {
  const started = performance.now();
  const { runtime, http, runner } = await startServing('serve', options);
  const { log, config } = runtime;
  log.info(`Bonsai ${version} ready in ${Math.round(performance.now() - started)} ms`);
  log.info(`catalog  ${http.url}/`);
  log.info(`GraphQL  ${http.url}/graphql`);
  if (runner) log.info(`worker   ${config.workerConcurrency} job(s) at a time`);
}
