// How Model.tensors maps a depth-pruned child's tensor names to the parent's (src/registry/tensors.ts):
// removing blocks renumbers the ones after them, so child block i is the i-th block the prune kept.
import { describe, expect, it } from 'vitest';
import { parentNameFor, removedLayers } from '../../src/registry/tensors.js';

describe('removedLayers', () => {
  it('takes a recorded removed_layers over the recipe', () => {
    expect(removedLayers({ method: 'depth', criterion: 'block-influence', count: 2 }, { removed_layers: [2, 5] }, 6)).toEqual([2, 5]);
  });
  it('falls back to the recipe: named layers, or the last N of the parent’s', () => {
    expect(removedLayers({ method: 'depth', layers: [1, 2] }, null, 6)).toEqual([1, 2]);
    expect(removedLayers({ method: 'depth', last: 2 }, null, 6)).toEqual([4, 5]);
  });
});

describe('parentNameFor', () => {
  // Parent of 6 blocks with 1 and 2 removed: the child's blocks 0..3 are the parent's 0, 3, 4, 5.
  const map = [0, 3, 4, 5];
  it('renumbers a block’s tensors and leaves the rest', () => {
    expect(parentNameFor('model.layers.1.mlp.up_proj.weight', map)).toBe('model.layers.3.mlp.up_proj.weight');
    expect(parentNameFor('model.layers.0.input_layernorm.weight', map)).toBe('model.layers.0.input_layernorm.weight');
    expect(parentNameFor('model.embed_tokens.weight', map)).toBe('model.embed_tokens.weight');
    // Two-digit indices are one number, not a prefix match.
    expect(
      parentNameFor(
        'model.layers.12.self_attn.q_proj.weight',
        [...Array(20).keys()].filter((i) => i !== 3),
      ),
    ).toBe('model.layers.13.self_attn.q_proj.weight');
  });
  it('leaves names alone without a depth prune', () => {
    expect(parentNameFor('model.layers.1.mlp.up_proj.weight', null)).toBe('model.layers.1.mlp.up_proj.weight');
  });
});
