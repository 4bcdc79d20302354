import { existsSync, mkdirSync } from 'node:fs';
import { Runner } from '../../workers/runner.js';
import { type RunningServer, startHttpServer } from '../http/server.js';
import { onShutdown, type Runtime, startRuntime, version } from './lifecycle.js';
import { announceServer } from './servers.js';

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
    { log, version, embeddedDatabase: database.embedded, registry, publicReads: config.publicReads },
    { host: config.host, port: config.port, production: config.production },
  );
  // Jobs run in job processes (workers/runner.ts), so the in-process worker never blocks the API.
  const runner =
    options.worker && config.workerConcurrency > 0
      ? new Runner(registry, queue, {
          concurrency: config.workerConcurrency,
          databaseUrl: database.url,
          artifactsDir: config.artifactsDir,
          modelRoots: config.modelRoots,
          staleAfterMs: config.jobStaleSeconds * 1000,
          maxJobsPerProcess: config.jobProcessMaxJobs,
        })
      : null;
  await runner?.start();
  const unannounce = announceServer(config, http.url);
  onShutdown(log, [
    ['announcement', async () => unannounce()],
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
  // The default import root is ours to create, so a new user has somewhere to put checkpoints.
  const [first] = config.modelRoots;
  if (first && !existsSync(first) && first.startsWith(config.home)) mkdirSync(first, { recursive: true });
  log.info(`Bonsai ${version} ready in ${Math.round(performance.now() - started)} ms`);
  log.info(`catalog  ${http.url}/`);
  log.info(`GraphQL  ${http.url}/graphql`);
  log.info(
    `imports  ${config.modelRoots.join(', ') || 'disabled (BONSAI_MODEL_ROOTS is empty)'}  (copy checkpoints here, then \`npx bonsai register DIR --name OWNER/NAME\`)`,
  );
  if (runner) log.info(`worker   ${config.workerConcurrency} job(s) at a time`);
}
