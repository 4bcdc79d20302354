// The HTTP server: GraphQL at /graphql, the Hub's routes (hub/), liveness at /healthz, the catalog at /.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import express from 'express';
import { catalogCachePolicy, catalogResponseCache } from '../../graphql/cache.js';
import { coalesceReads } from '../../graphql/coalesce.js';
import { type Context, createContext, type Services } from '../../graphql/context.js';
import { makeFormatError } from '../../graphql/errors.js';
import { httpStatusPlugin } from '../../graphql/httpStatus.js';
import { inputChecksPlugin } from '../../graphql/inputChecks.js';
import { complexityPlugin, LIMITS, reportAsValidationError } from '../../graphql/limits.js';
import { buildSchema } from '../../graphql/schema.js';
import { checkDatabase } from '../registry/health.js';
import { cardRoute } from './cardRoute.js';
import { jsonErrorHandler } from './errors.js';
import { graphqlJsonBody } from './graphqlBody.js';
import { boundVariableDepth } from './graphqlDepth.js';
import { mountHubRoutes } from './hub/index.js';
import { modelPageRoute } from './modelPage.js';
import { notFoundHandler } from './notFound.js';

const webDir = fileURLToPath(new URL('../../web', import.meta.url));

export interface HttpOptions {
  host: string;
  port: number;
  production: boolean;
  /** How long catalog reads are cached (default CATALOG_MAX_AGE_SECONDS); tests lengthen it so a
   *  loaded machine cannot outlast the entry between two requests. */
  catalogMaxAgeSeconds?: number;
}

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startHttpServer(services: Services, options: HttpOptions): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const schema = buildSchema();
  const apollo = new ApolloServer<Context>({
    schema,
    // OWASP GraphQL cheat sheet: bound depth, aliases and cost; batching stays off (the default).
    validationRules: [
      maxDepthRule({ n: LIMITS.depth, ...reportAsValidationError }),
      maxAliasesRule({ n: LIMITS.aliases, ...reportAsValidationError }),
    ],
    // graphql-js stops tokenizing past this many tokens: a 1 MB document of a 200,000-item list
    // literal built that many AST nodes (hundreds of ms, tens of MB) before any limit could look at it.
    parseOptions: { maxTokens: LIMITS.tokens },
    // And validation past this many errors (graphql-js's default is 100): each error's line and
    // column is found by scanning the document from its start (graphql-js getLocation), so a
    // 1 MB one-line document with 10,000 wrong list items held the event loop 250-600 ms (the
    // surface test's slowest case, near its 1 s limit on a slow machine).
    validationOptions: { maxErrors: LIMITS.validationErrors },
    introspection: !options.production,
    // No "Did you mean …" field suggestions in production: they disclose the schema that
    // introspection hides (OWASP GraphQL cheat sheet).
    hideSchemaDetailsFromClientErrors: options.production,
    includeStacktraceInErrorResponses: !options.production,
    formatError: makeFormatError(options.production, services.log),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Cache policy is decided per operation (cache.ts), so no resolver is wrapped for hints.
      ApolloServerPluginCacheControlDisabled(),
      inputChecksPlugin(),
      httpStatusPlugin(),
      complexityPlugin(schema),
      catalogCachePolicy(schema, options.catalogMaxAgeSeconds),
      catalogResponseCache(),
    ],
  });
  await apollo.start();

  app.get('/healthz', async (_req, res) => {
    const db = await checkDatabase(services.registry);
    res
      .status(db.ok ? 200 : 503)
      .json({ status: db.ok ? 'ok' : 'degraded', database: db.ok ? 'ok' : 'unavailable', version: services.version });
  });
  app.get('/models/:owner/:name/README.md', cardRoute(services));
  mountHubRoutes(app, services);
  app.use(
    '/graphql',
    // Strict UTF-8 JSON, as every body Bonsai reads (src/formats/json.ts); 1 MB.
    ...graphqlJsonBody(),
    boundVariableDepth(),
    coalesceReads(services),
    expressMiddleware(apollo, { context: async ({ req }) => createContext(services, req.headers.authorization) }),
  );

  const built = join(webDir, 'dist');
  if (existsSync(join(built, 'index.html'))) {
    app.use(express.static(built));
  } else {
    app.get('/', (_req, res) => res.sendFile(join(webDir, 'placeholder.html')));
  }
  app.get('/:owner/:name', modelPageRoute(services));
  // Last: every other path is a 404 (the page for a browser, JSON for the API: notFound.ts), and
  // every error is JSON with a code, never express's HTML page.
  app.use(notFoundHandler());
  app.use(jsonErrorHandler(services.log));

  httpServer.listen(options.port, options.host);
  await once(httpServer, 'listening');
  const { port } = httpServer.address() as AddressInfo;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  return {
    url: `http://${shownHost}:${port}`,
    server: httpServer,
    close: () => apollo.stop(),
  };
}
