import { startHttpServer } from '../../graphql/server.js';
import { onShutdown, startRuntime, version } from './lifecycle.js';

export async function serve(options: { worker: boolean }): Promise<void> {
  const started = performance.now();
  const { config, log, database, prisma } = await startRuntime('serve');
  const http = await startHttpServer(
    { prisma, log, version, embeddedDatabase: database.embedded },
    { host: config.host, port: config.port, production: config.production },
  );
  onShutdown(log, [
    ['http', () => http.close()],
    ['prisma', () => prisma.$disconnect()],
    ['database', () => database.stop()],
  ]);
  log.info(`Bonsai ${version} ready in ${Math.round(performance.now() - started)} ms`);
  log.info(`catalog  ${http.url}/`);
  log.info(`GraphQL  ${http.url}/graphql`);
  if (options.worker) log.debug('the in-process worker starts with the job pipeline');
}
