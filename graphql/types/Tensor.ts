// Model.tensors: the safetensors headers, each tensor marked against the parent (src/registry/tensors.ts).
import { enumType, extendType, objectType } from 'nexus';
import { modelTensors } from '../../src/registry/tensors.js';
import { spendPriced } from '../pricedFields.js';

export const TensorChange = enumType({
  name: 'TensorChange',
  description: 'How a derivative’s tensor relates to its first parent’s.',
  members: [
    { name: 'KEPT', description: 'Same name, shape, dtype and bytes (the same stored piece).' },
    { name: 'SLICED', description: 'Fewer rows or columns than the parent’s (width, attention or vocabulary pruning).' },
    { name: 'RENAMED', description: 'The parent’s tensor byte for byte under another name (a depth prune renumbers the blocks).' },
    { name: 'REWRITTEN', description: 'Same shape, different bytes (sparsity, a refit, a folded stand-in).' },
    { name: 'ADDED', description: 'No tensor of the parent corresponds.' },
  ],
});

export const Tensor = objectType({
  name: 'Tensor',
  sourceType: { module: new URL('../../src/registry/tensors.ts', import.meta.url).pathname, export: 'TensorRow' },
  description: 'One tensor of the model’s safetensors files, from their headers.',
  definition(t) {
    t.nonNull.string('name');
    t.nonNull.string('dtype', { description: 'As the header names it, e.g. F32, BF16.' });
    t.nonNull.list.nonNull.int('shape');
    t.nonNull.bigint('bytes', { resolve: (r) => BigInt(r.bytes) });
    t.field('change', {
      type: 'TensorChange',
      description: 'Null for a model without a parent, or when either file is stored whole (the bytes are then not compared).',
    });
    t.string('parentName', { description: 'The parent’s tensor this one comes from; null when ADDED or without a parent.' });
    t.list.nonNull.int('parentShape');
    t.string('parentDtype');
    t.bigint('nonZero', {
      description:
        'Elements that are not zero (±0 is zero), as counted by the prune that wrote these bytes: a sparsified tensor’s real sparsity. Null where nothing was counted (not a sparsity prune, or the bytes changed since).',
      resolve: (r) => (r.nonZero === null ? null : BigInt(r.nonZero)),
    });
  },
});

/** What reading a model's and its parent's headers costs against LIMITS.cost (graphql/limits.ts). */
export const TENSORS_COST = 200;

export const ModelTensorsField = extendType({
  type: 'Model',
  definition(t) {
    t.nonNull.list.nonNull.field('tensors', {
      type: 'Tensor',
      description:
        'Every tensor of the current safetensors files, in file order, marked against the first parent: kept byte for byte, sliced, renamed, rewritten or added (the stored pieces’ sha256 are compared; no tensor is read).',
      // Two models' headers read from the store per model: priced so a list asks for at most a few dozen.
      extensions: { complexity: ({ childComplexity }: { childComplexity: number }) => TENSORS_COST + childComplexity },
      resolve: (m, _a, ctx) => {
        spendPriced(ctx, 'Model.tensors', TENSORS_COST);
        return modelTensors(ctx.services.registry, m.id);
      },
    });
  },
});
