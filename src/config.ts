// The only reader of process.env: every variable is validated at once and all problems are
// reported together, each naming the variable (graphql-hive's environment.ts).
import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { ConfigError } from './errors.js';

const postgresUrl = z.string().refine((v) => /^postgres(ql)?:\/\/.+/.test(v), 'must be a postgres:// or postgresql:// URL');

const port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be an integer')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

/**
 * The smallest BONSAI_JOB_STALE_SECONDS: job processes beat at a fifth of it (workers/progress.ts),
 * and a runner refuses a shorter threshold, which its job processes could not be told.
 */
export const MIN_JOB_STALE_SECONDS = 5;

/**
 * Jobs a job process runs, one after another, before the runner replaces it (workers/runner.ts):
 * gunicorn's `max_requests`, Celery's `worker_max_tasks_per_child`, so what a job leaves behind in
 * a process (memory V8 or onnxruntime keeps) cannot grow without end. 1 starts a process for each job.
 */
export const DEFAULT_JOB_PROCESS_MAX_JOBS = 50;

const schema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  BONSAI_HOME: z.string().min(1).default('./.bonsai'),
  PORT: port.default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  BONSAI_MODEL_ROOTS: z.string().optional(),
  BONSAI_ARTIFACTS_DIR: z.string().min(1).optional(),
  /** `s3://BUCKET/PREFIX`: the store's objects in a bucket (src/storage/s3Objects.ts); unset: the folder. */
  BONSAI_ARTIFACTS_URL: z
    .string()
    .regex(/^s3:\/\/[^/?#]+(\/[^?#]*)?$/, 'must be s3://BUCKET or s3://BUCKET/PREFIX')
    .optional(),
  /** Path-style requests (`https://host/BUCKET/key`), which MinIO and Ceph RGW behind one host name need. */
  BONSAI_S3_FORCE_PATH_STYLE: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
  BONSAI_PUBLIC_READS: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
  BONSAI_WORKER_CONCURRENCY: z.coerce.number().int().min(0, 'must be 0 or more').max(64).default(1),
  BONSAI_JOB_STALE_SECONDS: z.coerce.number().int().min(MIN_JOB_STALE_SECONDS, `must be at least ${MIN_JOB_STALE_SECONDS}`).default(30),
  BONSAI_JOB_PROCESS_MAX_JOBS: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .default(DEFAULT_JOB_PROCESS_MAX_JOBS),
  BONSAI_THREADS: z.coerce.number().int().min(1, 'must be at least 1').default(Math.max(1, availableParallelism())),
  HF_HOME: z.string().min(1).optional(),
  XDG_STATE_HOME: z.string().min(1).optional(),
  HF_HUB_CACHE: z.string().min(1).optional(),
  /** The shared model, tokenizers and corpora (tests, demo, benchmarks), when not beside the repository. */
  BONSAI_SHARED_DIR: z.string().min(1).optional(),
  /** The remote Bonsai that `bonsai pull` and `bonsai push` talk to over the Hub protocol. */
  BONSAI_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .transform((u) => u.replace(/\/+$/, ''))
    .default('http://127.0.0.1:4000'),
  /** Its token (hf_bonsai_…): reads when its reads are private, writes always. */
  BONSAI_TOKEN: z.string().min(1).optional(),
});

export interface Config {
  databaseUrl: string | undefined;
  home: string;
  /** BONSAI_HOME or DATABASE_URL was given: tools use exactly that registry, not a running server's. */
  registryExplicit: boolean;
  /** Where running servers announce themselves to the CLI on this machine ($XDG_STATE_HOME/bonsai). */
  stateDir: string;
  port: number;
  host: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  production: boolean;
  /** Folders a registered checkpoint (or an evaluation data file) may be read from. */
  modelRoots: string[];
  /**
   * The content-addressed artifact store's folder (a shared mount when workers on several
   * machines use it), or, with `artifactsUrl`, the local folder for temporary files and the ONNX cache.
   */
  artifactsDir: string;
  /** BONSAI_ARTIFACTS_URL: `s3://BUCKET/PREFIX` when the objects live in an S3-compatible bucket. */
  artifactsUrl: string | undefined;
  /** BONSAI_S3_FORCE_PATH_STYLE. */
  s3ForcePathStyle: boolean;
  /** Queries without a token; mutations always need one. */
  publicReads: boolean;
  workerConcurrency: number;
  /** A running job whose heartbeat is older than this is handed to another worker. */
  jobStaleSeconds: number;
  /** BONSAI_JOB_PROCESS_MAX_JOBS: jobs a job process runs before it is replaced. */
  jobProcessMaxJobs: number;
  threads: number;
  /** The Hugging Face hub cache that `hf://ORG/NAME` references are looked up in (offline). */
  hubCache: string;
  /** BONSAI_SHARED_DIR, if set (src/sharedAssets.ts). */
  sharedDir: string | undefined;
  /** BONSAI_URL without a trailing slash: the remote Bonsai of `bonsai pull` and `push`. */
  remoteUrl: string;
  /** BONSAI_TOKEN, the remote's bearer token. */
  remoteToken: string | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings are how shells and compose files spell "unset".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got ${JSON.stringify(cleaned[String(i.path[0])] ?? null)})`),
    );
  }
  const e = parsed.data;
  const home = resolve(e.BONSAI_HOME);
  return {
    databaseUrl: e.DATABASE_URL,
    home,
    registryExplicit: cleaned.BONSAI_HOME !== undefined || e.DATABASE_URL !== undefined,
    stateDir: resolve(e.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'bonsai'),
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === 'production',
    // Unset: only <BONSAI_HOME>/imports, so a fresh install reads nothing else from the disk.
    modelRoots: (e.BONSAI_MODEL_ROOTS ?? resolve(home, 'imports'))
      .split(':')
      .filter((p) => p.length > 0)
      .map((p) => resolve(p)),
    artifactsDir: resolve(e.BONSAI_ARTIFACTS_DIR ?? resolve(home, 'artifacts')),
    artifactsUrl: e.BONSAI_ARTIFACTS_URL,
    s3ForcePathStyle: e.BONSAI_S3_FORCE_PATH_STYLE === 'true',
    publicReads: e.BONSAI_PUBLIC_READS === 'true',
    workerConcurrency: e.BONSAI_WORKER_CONCURRENCY,
    jobStaleSeconds: e.BONSAI_JOB_STALE_SECONDS,
    jobProcessMaxJobs: e.BONSAI_JOB_PROCESS_MAX_JOBS,
    threads: e.BONSAI_THREADS,
    // huggingface_hub's defaults: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub.
    hubCache: resolve(e.HF_HUB_CACHE ?? join(e.HF_HOME ?? join(homedir(), '.cache', 'huggingface'), 'hub')),
    sharedDir: e.BONSAI_SHARED_DIR,
    remoteUrl: e.BONSAI_URL,
    remoteToken: e.BONSAI_TOKEN,
  };
}

/** What a running server announces (src/cli/servers.ts), for a tool to work on the same registry. */
export interface ServedRegistry {
  home: string;
  databaseUrl?: string | null;
  artifactsDir: string;
  /** The bucket its store's objects live in, if any (tools then use it too). */
  artifactsUrl?: string | null;
  modelRoots: readonly string[];
  hubCache: string;
}

/**
 * The configuration of a tool working on a running server's registry: its home and database, and
 * its store, import roots and Hugging Face cache unless the tool's own environment sets them.
 */
export function loadConfigFor(server: ServedRegistry, env: NodeJS.ProcessEnv = process.env): Config {
  const merged: NodeJS.ProcessEnv = { ...env, BONSAI_HOME: server.home, DATABASE_URL: server.databaseUrl ?? '' };
  if (!env.BONSAI_ARTIFACTS_DIR) merged.BONSAI_ARTIFACTS_DIR = server.artifactsDir;
  if (!env.BONSAI_ARTIFACTS_URL && server.artifactsUrl) merged.BONSAI_ARTIFACTS_URL = server.artifactsUrl;
  if (!env.BONSAI_MODEL_ROOTS) merged.BONSAI_MODEL_ROOTS = server.modelRoots.join(':');
  if (!env.HF_HOME && !env.HF_HUB_CACHE) merged.HF_HUB_CACHE = server.hubCache;
  return loadConfig(merged);
}

/** A default log level for this process and the processes it starts (the demo's quiet output). */
export function defaultLogLevel(level: Config['logLevel'], env: NodeJS.ProcessEnv = process.env): void {
  env.LOG_LEVEL ??= level;
}

/** The environment of a process this one starts (a job process): this one's, with `extra` on top. */
export function childEnvironment(extra: Record<string, string>, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, ...extra };
}
