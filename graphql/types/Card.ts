// Model cards and hardware requirements, computed on request from the registry's data.

import { arg, enumType, extendType, intArg, objectType } from 'nexus';
import { hardwareRequirements } from '../../src/cards/hardware.js';
import { HARDWARE_LIMITS } from '../../src/cards/limits.js';
import { archOf } from '../../src/cards/sections.js';
import { BadInputError, ConflictError } from '../../src/errors.js';
import { modelCard } from '../../src/registry/cards.js';
import { formatModelName } from '../../src/registry/names.js';
import { spendPriced } from '../pricedFields.js';

export const WeightDtype = enumType({ name: 'WeightDtype', members: ['FP32', 'BF16', 'FP16', 'INT8', 'INT4'] });
export const KvDtype = enumType({ name: 'KvDtype', members: ['FP32', 'BF16', 'FP16', 'INT8'] });

export const ModelCard = objectType({
  name: 'ModelCard',
  definition(t) {
    t.nonNull.string('markdown', { description: 'README.md with Hugging Face YAML front matter.' });
    t.nonNull.json('metadata', { description: 'The front matter as an object.' });
  },
});

export const HardwareRequirements = objectType({
  name: 'HardwareRequirements',
  description: 'Estimates from the architecture; bytes are exact integers (1 GB = 10⁹ bytes when shown).',
  definition(t) {
    t.nonNull.int('contextLength');
    t.nonNull.int('batchSize');
    t.nonNull.field('weightDtype', { type: 'WeightDtype' });
    t.nonNull.field('kvDtype', { type: 'KvDtype' });
    t.nonNull.bigint('weightBytes');
    t.nonNull.bigint('kvBytesPerToken');
    t.nonNull.bigint('kvCacheBytes');
    t.nonNull.bigint('overheadBytes', { description: '20 % of the weights (accelerate).' });
    t.nonNull.bigint('totalBytes');
    t.nonNull.bigint('minGpuBytes', { description: 'total ÷ 0.9 (a runtime uses 90 % of the device).' });
    t.nonNull.bigint('recommendedCpuRamBytes', { description: 'total × 1.25.' });
    t.nonNull.int('slidingLayers');
    t.nonNull.string('formula');
  },
});

/** What rendering one card costs against LIMITS.cost (graphql/limits.ts). */
export const CARD_COST = 500;

function checkSize(field: keyof typeof HARDWARE_LIMITS, v: number): number {
  const [lo, hi] = HARDWARE_LIMITS[field];
  if (!Number.isInteger(v) || v < lo || v > hi) throw new BadInputError(field, `must be an integer from ${lo} to ${hi}`);
  return v;
}

export const ModelCardFields = extendType({
  type: 'Model',
  definition(t) {
    t.nonNull.field('card', {
      type: 'ModelCard',
      args: { contextLength: intArg(), batchSize: intArg({ default: 1 }) },
      // A card is rendered from several queries and its markdown built on the server's thread
      // (about 7–18 ms each): 200 of them in one request held /healthz for 1.4 s. At this cost a
      // request may ask for at most 40 cards (LIMITS.cost 20,000); the catalog asks for one.
      extensions: { complexity: ({ childComplexity }: { childComplexity: number }) => CARD_COST + childComplexity },
      resolve: async (m, { contextLength, batchSize }, ctx) => {
        if (contextLength != null) checkSize('contextLength', contextLength);
        checkSize('batchSize', batchSize ?? 1);
        spendPriced(ctx, 'Model.card', CARD_COST);
        return modelCard(ctx.services.registry, m, { contextLength: contextLength ?? undefined, batchSize: batchSize ?? 1 });
      },
    });
    t.nonNull.field('hardwareRequirements', {
      type: 'HardwareRequirements',
      args: {
        contextLength: intArg({ default: 4096 }),
        batchSize: intArg({ default: 1 }),
        weightDtype: arg({ type: 'WeightDtype', default: 'BF16' }),
        kvDtype: arg({ type: 'KvDtype', default: 'BF16' }),
      },
      resolve: (m, args) => {
        if (!m.config || m.parameterCount === null) throw new ConflictError(`model ${formatModelName(m)} has no checkpoint yet`);
        const contextLength = checkSize('contextLength', args.contextLength ?? 4096);
        const batchSize = checkSize('batchSize', args.batchSize ?? 1);
        const weightDtype = (args.weightDtype ?? 'BF16').toLowerCase() as 'bf16';
        const kvDtype = (args.kvDtype ?? 'BF16').toLowerCase() as 'bf16';
        const arch = archOf(m.config as Record<string, unknown>);
        const h = hardwareRequirements(arch, Number(m.parameterCount), { contextLength, batchSize, weightDtype, kvDtype });
        return {
          ...h,
          weightDtype: args.weightDtype ?? 'BF16',
          kvDtype: args.kvDtype ?? 'BF16',
          weightBytes: BigInt(h.weightBytes),
          kvBytesPerToken: BigInt(h.kvBytesPerToken),
          kvCacheBytes: BigInt(h.kvCacheBytes),
          overheadBytes: BigInt(h.overheadBytes),
          totalBytes: BigInt(h.totalBytes),
          minGpuBytes: BigInt(h.minGpuBytes),
          recommendedCpuRamBytes: BigInt(h.recommendedCpuRamBytes),
          formula: `weights ${m.parameterCount} × ${weightDtype}; ${
            arch.layerTypes.length === 0
              ? 'no KV cache (an encoder)'
              : `KV 2 × ${arch.layerTypes.length} ${arch.kind === 'decoder' ? 'layers' : 'caches'} × ${arch.numKvHeads} kv_heads × ${arch.headDim} head_dim × ${contextLength} × ${batchSize} × ${kvDtype} bytes${
                  arch.slidingWindow && arch.layerTypes.includes('sliding_attention')
                    ? ` (sliding layers: min(context, ${arch.slidingWindow}))`
                    : ''
                }`
          }; +20 % overhead`,
        };
      },
    });
  },
});
