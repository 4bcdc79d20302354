// Garbage left by killed processes: job temp folders of jobs no longer running, any temp folder
// older than a day, and blobs no artifact refers to (older than an hour, so an import or a prune
// that is storing files right now keeps its new blobs).
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryDeps } from '../src/registry/deps.js';
import { isRunning } from '../src/registry/jobs/index.js';
import { referencedBlobs } from '../src/registry/models.js';

const JOB_DIR = /^job-([0-9a-f-]{36})-/;
const BLOB_GRACE_MS = 3600_000;

export async function cleanup(
  deps: Pick<RegistryDeps, 'prisma' | 'store' | 'log'>,
): Promise<{ folders: number; blobs: number; pieces: number }> {
  const { store, log } = deps;
  let folders = (await store.cleanTemp(24 * 3600_000)).length;
  const tmp = join(store.root, 'tmp');
  const names = await readdir(tmp).catch(() => [] as string[]);
  for (const name of names) {
    const id = JOB_DIR.exec(name)?.[1];
    if (!id) continue;
    if (await isRunning(deps, id)) continue;
    await rm(join(tmp, name), { recursive: true, force: true });
    folders++;
  }
  const blobs = await store.listBlobs();
  let removed = 0;
  for (let i = 0; i < blobs.length; i += 1000) {
    const batch = blobs.slice(i, i + 1000);
    const used = await referencedBlobs(deps, batch);
    for (const sha of batch) {
      if (used.has(sha)) continue;
      const modified = await store.blobModified(sha);
      if (modified && Date.now() - modified.getTime() > BLOB_GRACE_MS) {
        await store.removeBlobs([sha]);
        removed++;
      }
    }
  }
  // Pieces of files stored in pieces that no manifest names: what a process killed while storing
  // or removing a file left (src/storage/store.ts writes pieces before manifests, removes after).
  const pieces = await store.sweepPieces();
  if (folders || removed || pieces)
    log.info(`cleanup: removed ${folders} temp folder(s), ${removed} unreferenced blob(s) and ${pieces} unreferenced piece(s)`);
  return { folders, blobs: removed, pieces };
}
