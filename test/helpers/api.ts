// A real API stack for integration tests: a database of its own, pg-boss in it, an artifact
// store in a temp folder and the HTTP server on a free port. `gql` talks to it over HTTP.
import { join } from 'node:path';
import type { Job } from '../../src/db/generated/client.js';
import type { RunningServer } from '../../src/http/server.js';
import { startHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { type RegistryDeps, registryDeps } from '../../src/registry/deps.js';
import { JobQueue } from '../../src/registry/queue.js';
import { createToken, type TokenRole } from '../../src/registry/tokens.js';
import { Runner } from '../../workers/runner.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { tempDir } from './tmp.js';
import { waitFor } from './waitFor.js';

export interface GqlResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; field?: string; [k: string]: unknown } }>;
}

export interface TestApi {
  db: TestDatabase;
  server: RunningServer;
  registry: RegistryDeps;
  home: string;
  tokens: Record<TokenRole, string>;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GqlResult<T>>;
  /** registerModel through HTTP; throws with the GraphQL errors if it fails. */
  register(path: string, name: string, license?: string): Promise<void>;
  /** The job's row once it has ended (finishedAt set), polled every 100 ms; `what` names the wait in a timeout. */
  jobEnded(id: string, what?: string, timeoutMs?: number): Promise<Job>;
  /** An in-process worker on this API's database and store, started; stopped by `close`. */
  startRunner(modelRoots: string[]): Promise<Runner>;
  close(): Promise<void>;
}

export async function startTestApi(
  options: {
    modelRoots?: string[];
    hubCache?: string;
    publicReads?: boolean;
    production?: boolean;
    onQuery?: (sql: string) => void;
    catalogMaxAgeSeconds?: number;
    /** The server's home (default: a new temporary folder); its store is home/artifacts. */
    home?: string;
    /** A bucket for the store's objects (BONSAI_ARTIFACTS_URL); home/artifacts then holds only local files. */
    artifactsUrl?: string;
  } = {},
): Promise<TestApi> {
  const db = await createTestDatabase({ onQuery: options.onQuery });
  const home = options.home ?? tempDir('bonsai-api-');
  const log = createLogger('error');
  const queue = await JobQueue.start(db.url, log);
  const registry = registryDeps(
    {
      artifactsDir: join(home, 'artifacts'),
      artifactsUrl: options.artifactsUrl,
      s3ForcePathStyle: options.artifactsUrl !== undefined,
      modelRoots: options.modelRoots ?? [],
      hubCache: options.hubCache,
    },
    { prisma: db.prisma, queue, log },
  );
  const server = await startHttpServer(
    { log, version: '9.9.9', embeddedDatabase: false, registry, publicReads: options.publicReads ?? true },
    { host: '127.0.0.1', port: 0, production: options.production ?? false, catalogMaxAgeSeconds: options.catalogMaxAgeSeconds },
  );
  const runners: Runner[] = [];
  const tokens = {} as Record<TokenRole, string>;
  for (const role of ['READER', 'MAINTAINER', 'ADMIN'] as const)
    tokens[role] = (await createToken(registry, { name: role.toLowerCase(), role })).secret;
  async function gql<T>(query: string, variables?: Record<string, unknown>, token: string | null = tokens.MAINTAINER) {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return res.json() as Promise<GqlResult<T>>;
  }
  return {
    db,
    server,
    registry,
    home,
    tokens,
    gql,
    async register(path, name, license) {
      const r = await gql(
        `mutation($p: String!, $n: String!, $l: String) { registerModel(path: $p, name: $n, license: $l) { model { id } } }`,
        { p: path, n: name, l: license ?? null },
      );
      if (r.errors) throw new Error(`registerModel ${name}: ${JSON.stringify(r.errors)}`);
    },
    jobEnded(id, what = 'the job to end', timeoutMs = 60_000) {
      return waitFor(
        what,
        async () => {
          const j = await db.prisma.job.findUniqueOrThrow({ where: { id } });
          return j.finishedAt ? j : undefined;
        },
        timeoutMs,
        100,
      );
    },
    async startRunner(modelRoots) {
      const runner = new Runner(registry, queue, {
        concurrency: 1,
        databaseUrl: db.url,
        artifactsDir: registry.store.root,
        modelRoots,
      });
      await runner.start();
      runners.push(runner);
      return runner;
    },
    async close() {
      for (const r of runners) await r.stop();
      await server.close();
      await queue.stop();
      await db.drop();
    },
  };
}
