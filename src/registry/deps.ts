// What the registry's services need, created once per process (server or worker).
import type { PrismaClient } from '../db/client.js';
import type { Logger } from '../log.js';
import type { ArtifactStore } from '../storage/store.js';
import type { JobQueue } from './queue.js';

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
