// What the registry's services need, created once per process (server or worker).
import type { Config } from '../config.js';
import { createPrismaClient, type PrismaClient } from '../db/client.js';
import type { Logger } from '../log.js';
import { openArtifactStore } from '../storage/open.js';
import type { ArtifactStore } from '../storage/store.js';
import { JobQueue } from './queue.js';

export interface RegistryDeps {
  prisma: PrismaClient;
  store: ArtifactStore;
  /** Absent only in processes that never enqueue (none today; kept optional for tools). */
  queue: JobQueue | null;
  /** Folders `registerModel` may import from (BONSAI_MODEL_ROOTS). */
  modelRoots: readonly string[];
  /** The Hugging Face hub cache for `hf://` references (HF_HUB_CACHE / HF_HOME); none: refused. */
  hubCache?: string;
  log: Logger;
}

/** What the configuration says about the registry's services (Config has all of it). */
export type RegistrySettings = Pick<Config, 'artifactsDir'> &
  Partial<Pick<Config, 'artifactsUrl' | 's3ForcePathStyle'>> & { modelRoots: readonly string[]; hubCache?: string };

/**
 * The one place RegistryDeps are assembled (the server, the CLI's tools, a job process and the
 * tests all come here): the store and the import roots from the settings, the database client,
 * the queue and the logger from the process that owns them.
 */
export function registryDeps(settings: RegistrySettings, own: { prisma: PrismaClient; queue: JobQueue | null; log: Logger }): RegistryDeps {
  return {
    prisma: own.prisma,
    store: openArtifactStore(settings),
    queue: own.queue,
    modelRoots: settings.modelRoots,
    hubCache: settings.hubCache,
    log: own.log,
  };
}

/** The registry a job process works on: its own small pool, the store, a queue sender. */
export interface Registry {
  deps: RegistryDeps;
  close(): Promise<void>;
}

export function openRegistry(config: Pick<Config, 'databaseUrl'> & RegistrySettings, log: Logger): Registry {
  if (!config.databaseUrl) throw new Error('a job process needs DATABASE_URL (the runner sets it)');
  const prisma = createPrismaClient(config.databaseUrl, { poolSize: 3 });
  return {
    deps: registryDeps(config, { prisma, queue: JobQueue.sender(config.databaseUrl), log }),
    close: () => prisma.$disconnect(),
  };
}
