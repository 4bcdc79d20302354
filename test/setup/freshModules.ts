// Vitest runs many test files in one worker process (`isolate: false`, vitest.config.ts) and keeps
// every module it evaluated from one file to the next. Our own modules (src/, test/helpers/, the
// fixtures) keep state at module level: a file's scratch folder, a server's announcement folder,
// caches; and files change process.env (a default LOG_LEVEL, a token). So each file starts from
// fresh copies of our modules and the environment the worker started with, as in a process of its
// own, while the packages Node loaded (graphql, Prisma, Apollo, onnxruntime: most of a file's
// import time) stay loaded: Node's module cache cannot be emptied, so re-importing them gives the
// same instances.
import { afterAll, vi } from 'vitest';

vi.resetModules();
// Nothing uses fake timers or stubbed globals today; should a file leave them, they end with it.
vi.useRealTimers();
vi.unstubAllGlobals();

/**
 * The environment the worker process started with, kept on globalThis (this module is evaluated
 * again for every file). Restored here as well as after the file: a file that fails while it is
 * collected runs no afterAll, and its changes would otherwise become the next file's start.
 */
const FIRST_ENV = Symbol.for('bonsai.test.workerEnvironment');
const worker = globalThis as { [FIRST_ENV]?: NodeJS.ProcessEnv };
worker[FIRST_ENV] ??= { ...process.env };
const started = worker[FIRST_ENV];

function restoreEnvironment(): void {
  for (const key of Object.keys(process.env)) if (!(key in started)) delete process.env[key];
  Object.assign(process.env, started);
}

restoreEnvironment();

// Registered first, so it runs after every other afterAll of the file (the scratch folder's too).
afterAll(restoreEnvironment);
