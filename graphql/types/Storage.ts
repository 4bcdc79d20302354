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
const cached = new WeakMap<object, { at: number; stats: Promise<StorageStats> }>();
const MAX_AGE_MS = 10_000;

export function currentStorageStats(services: Services): Promise<StorageStats> {
  const hit = cached.get(services.registry);
  if (hit && Date.now() - hit.at < MAX_AGE_MS) return hit.stats;
  const stats = storageStats(services.registry);
  stats.catch(() => cached.delete(services.registry));
  cached.set(services.registry, { at: Date.now(), stats });
  return stats;
}

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
      resolve: async (m, _a, ctx) => {
        if (!m.artifactId) return null;
        const found = (await currentStorageStats(ctx.services)).models.find((x) => x.id === m.id);
        return found ? BigInt(found.ownBytes) : null;
      },
    });
    t.bigint('sharedBytes', {
      description: 'Bytes of its current files that other models use too (see `storageStats`); null before it has files.',
      resolve: async (m, _a, ctx) => {
        if (!m.artifactId) return null;
        const found = (await currentStorageStats(ctx.services)).models.find((x) => x.id === m.id);
        return found ? BigInt(found.sharedBytes) : null;
      },
    });
  },
});

function toGql(m: StorageStats['models'][number]) {
  return { name: m.name, logicalBytes: BigInt(m.logicalBytes), ownBytes: BigInt(m.ownBytes), sharedBytes: BigInt(m.sharedBytes) };
}
