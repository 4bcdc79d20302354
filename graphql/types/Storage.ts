import { extendType, objectType } from 'nexus';
import { type StorageStats, storageStats } from '../../src/registry/storageStats.js';
import type { Services } from '../context.js';

export const ModelStorage = objectType({
  name: 'ModelStorage',
  description: 'What one model takes in the artifact store.',
  definition(t) {
    t.nonNull.string('name', { description: 'OWNER/NAME.' });
    t.nonNull.bigint('logicalBytes', { description: 'Its current files, summed (what a download of the model takes).' });
    t.nonNull.bigint('ownBytes', {
      description: 'Bytes only this model’s files (in any revision) use: what deleting it would free. Shared tensors are not counted.',
    });
    t.nonNull.bigint('sharedBytes', {
      description:
        'Bytes of its current files that other models’ files use too (e.g. a parent’s unchanged tensors), each object counted once.',
    });
  },
});

export const StorageStatsType = objectType({
  name: 'StorageStats',
  description:
    'The artifact store against the registry: safetensors files are stored as one object per tensor, so derivatives share their unchanged tensors.',
  definition(t) {
    t.nonNull.bigint('logicalBytes', { description: 'Every model’s current files, summed, as if each were stored whole.' });
    t.nonNull.bigint('physicalBytes', { description: 'Each object the registry’s files use (whole files and tensors), counted once.' });
    t.nonNull.int('files', { description: 'Distinct files (by sha256) the registry references.' });
    t.nonNull.int('objects', { description: 'Distinct objects those files take.' });
    t.nonNull.int('missingFiles', { description: 'Referenced files the store does not have (0 unless something removed them).' });
    t.nonNull.list.nonNull.field('models', { type: 'ModelStorage' });
  },
});

/**
 * One computation serves every request for a few seconds: it reads every file row and each
 * file's manifest (cached), which a catalog page listing own bytes must not repeat per model.
 */
type ModelBytes = StorageStats['models'][number];
type Indexed = StorageStats & { byId: Map<string, ModelBytes> };
interface Entry {
  at: number;
  stats: Promise<Indexed>;
  running?: Promise<Indexed>;
}
const cached = new WeakMap<object, Entry>();
const MAX_AGE_MS = 10_000;

/** One scan at a time per registry (a scan of a large S3 store can outlast MAX_AGE_MS). */
function rescan(services: Services): Promise<Indexed> {
  const entry = cached.get(services.registry);
  if (entry?.running) return entry.running;
  const running = storageStats(services.registry).then(
    (s) => {
      const stats = { ...s, byId: new Map(s.models.map((m) => [m.id, m])) };
      cached.set(services.registry, { at: Date.now(), stats: Promise.resolve(stats) });
      return stats;
    },
    (err) => {
      const now = cached.get(services.registry);
      if (now?.running === running) {
        if (now.at === 0) cached.delete(services.registry);
        else now.running = undefined;
      }
      throw err;
    },
  );
  if (entry) entry.running = running;
  else cached.set(services.registry, { at: 0, stats: running, running });
  return running;
}

/** The last scan while it is younger than MAX_AGE_MS, else the next one (shared by every caller waiting for it). */
export function currentStorageStats(services: Services): Promise<Indexed> {
  const entry = cached.get(services.registry);
  if (!entry || Date.now() - entry.at >= MAX_AGE_MS) return rescan(services);
  return entry.stats;
}

/**
 * A model's figures: from the last scan, or from a new one when the model is not in it yet (it
 * became READY after that scan), so a new model does not read null for up to MAX_AGE_MS.
 */
async function bytesOf(services: Services, id: string): Promise<ModelBytes | undefined> {
  return (await currentStorageStats(services)).byId.get(id) ?? (await rescan(services)).byId.get(id);
}

/** Model.ownBytes / Model.sharedBytes: that figure of the model, null before it has files. */
const modelBytes =
  (figure: 'ownBytes' | 'sharedBytes') =>
  async (m: { id: string; artifactId: string | null }, _a: unknown, ctx: { services: Services }): Promise<bigint | null> => {
    if (!m.artifactId) return null;
    const found = await bytesOf(ctx.services, m.id);
    return found ? BigInt(found[figure]) : null;
  };

export const StorageQuery = extendType({
  type: 'Query',
  definition(t) {
    t.nonNull.field('storageStats', {
      type: 'StorageStats',
      description: 'Logical and physical bytes of the artifact store, and per model the bytes it alone holds.',
      resolve: async (_root, _args, ctx) => {
        const s = await currentStorageStats(ctx.services);
        return { ...s, logicalBytes: BigInt(s.logicalBytes), physicalBytes: BigInt(s.physicalBytes), models: s.models.map(toGql) };
      },
    });
  },
});

export const ModelOwnBytes = extendType({
  type: 'Model',
  definition(t) {
    t.bigint('ownBytes', {
      description: 'Bytes in the artifact store only this model uses (see `storageStats`); null before it has files.',
      resolve: modelBytes('ownBytes'),
    });
    t.bigint('sharedBytes', {
      description: 'Bytes of its current files that other models use too (see `storageStats`); null before it has files.',
      resolve: modelBytes('sharedBytes'),
    });
  },
});

function toGql(m: StorageStats['models'][number]) {
  return { name: m.name, logicalBytes: BigInt(m.logicalBytes), ownBytes: BigInt(m.ownBytes), sharedBytes: BigInt(m.sharedBytes) };
}
