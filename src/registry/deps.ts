// What the registry's services need, created once per process (server or worker).
import type { Config } from '../config.js';
import { createPrismaClient, type PrismaClient } from '../db/client.js';
import type { Logger } from '../log.js';
import { ArtifactStore } from '../storage/store.js';
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

/** The registry a job process works on: its own small pool, the store, a queue sender. */
export function openRegistry(
  config: Pick<Config, 'databaseUrl' | 'artifactsDir' | 'modelRoots'>,
  log: Logger,
): { deps: RegistryDeps; close(): Promise<void> } {
  if (!config.databaseUrl) throw new Error('a job process needs DATABASE_URL (the runner sets it)');
  const prisma = createPrismaClient(config.databaseUrl, { poolSize: 3 });
  return {
    deps: {
      prisma,
      store: new ArtifactStore(config.artifactsDir),
      queue: JobQueue.sender(config.databaseUrl),
      modelRoots: config.modelRoots,
      log,
    },
    close: () => prisma.$disconnect(),
  };
}
