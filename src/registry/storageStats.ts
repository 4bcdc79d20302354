// What the registry's files take in the store (issue 31): logical bytes (every model's current
// files, as if each were stored whole), physical bytes (each object the registry's files use,
// once: whole blobs and the pieces of files stored in pieces) and, per model, the bytes it alone
// holds (objects no other model's files, in any revision, use): what deleting it would free, and
// the bytes of its current files it shares with other models (its relatives' unchanged tensors).
import type { RegistryDeps } from './deps.js';
import { formatModelName } from './names.js';

export interface ModelStorage {
  id: string;
  name: string;
  /** The model's current files, summed. */
  logicalBytes: number;
  /** Objects only this model's files (any of its revisions) use. */
  ownBytes: number;
  /** Objects of its current files that another model's files use too, each counted once. */
  sharedBytes: number;
}

export interface StorageStats {
  logicalBytes: number;
  physicalBytes: number;
  /** Distinct files (sha256) the registry references. */
  files: number;
  /** Distinct objects those files take. */
  objects: number;
  /** Files the registry references that the store does not have (should be 0). */
  missingFiles: number;
  models: ModelStorage[];
}

export async function storageStats(deps: Pick<RegistryDeps, 'prisma' | 'store'>): Promise<StorageStats> {
  const { prisma, store } = deps;
  const models = await prisma.model.findMany({
    select: { id: true, owner: true, name: true, artifactId: true },
    orderBy: { createdAt: 'asc' },
  });
  const revisions = await prisma.revision.findMany({ select: { modelId: true, artifactId: true } });
  const artifactsOf = new Map<string, Set<string>>(models.map((m) => [m.id, new Set(m.artifactId ? [m.artifactId] : [])]));
  for (const r of revisions) artifactsOf.get(r.modelId)?.add(r.artifactId);
  const files = await prisma.artifactFile.findMany({ select: { artifactId: true, sha256: true, size: true } });
  const filesOf = new Map<string, Array<{ sha256: string; size: number }>>();
  for (const f of files) {
    const list = filesOf.get(f.artifactId) ?? [];
    list.push({ sha256: f.sha256, size: Number(f.size) });
    filesOf.set(f.artifactId, list);
  }

  // Which models use each object, and its size.
  const composition = new Map<string, Array<{ key: string; size: number }> | null>();
  const usedBy = new Map<string, { size: number; models: Set<string> }>();
  let missingFiles = 0;
  for (const m of models) {
    for (const artifactId of artifactsOf.get(m.id) ?? []) {
      for (const f of filesOf.get(artifactId) ?? []) {
        if (!composition.has(f.sha256)) {
          const parts = await store.composition(f.sha256, f.size);
          if (parts === null) missingFiles++;
          composition.set(f.sha256, parts);
        }
        for (const part of composition.get(f.sha256) ?? []) {
          const entry = usedBy.get(part.key) ?? { size: part.size, models: new Set<string>() };
          entry.models.add(m.id);
          usedBy.set(part.key, entry);
        }
      }
    }
  }
  const own = new Map<string, number>();
  let physicalBytes = 0;
  for (const { size, models: users } of usedBy.values()) {
    physicalBytes += size;
    if (users.size === 1) {
      const [only] = users;
      own.set(only!, (own.get(only!) ?? 0) + size);
    }
  }
  const sharedBy = (files: Array<{ sha256: string }>) => {
    const seen = new Set<string>();
    let bytes = 0;
    for (const f of files)
      for (const part of composition.get(f.sha256) ?? []) {
        if (seen.has(part.key)) continue;
        seen.add(part.key);
        if (usedBy.get(part.key)!.models.size > 1) bytes += part.size;
      }
    return bytes;
  };
  const perModel = models.map((m) => {
    const current = m.artifactId ? (filesOf.get(m.artifactId) ?? []) : [];
    return {
      id: m.id,
      name: formatModelName(m),
      logicalBytes: current.reduce((a, f) => a + f.size, 0),
      ownBytes: own.get(m.id) ?? 0,
      sharedBytes: sharedBy(current),
    };
  });
  return {
    logicalBytes: perModel.reduce((a, m) => a + m.logicalBytes, 0),
    physicalBytes,
    files: composition.size,
    objects: usedBy.size,
    missingFiles,
    models: perModel,
  };
}
