import { describe, expect, it } from 'vitest';
import { renderPlan } from '../../src/cli/prune.js';
import { BadInputError } from '../../src/errors.js';
import { planFor, planPrune } from '../../src/pruning/plan.js';
import { parseRecipe } from '../../src/pruning/recipe.js';
import { gemma2_2b, llama32_1b } from '../fixtures/configs.js';

describe('pruning plans (published figures: OptiPFair’s and Shortened-LLaMA’s)', () => {
  it('Gemma-2-2B, 40 % MLP pruning: intermediate_size 5530, 1,951,923,456 parameters, −25.3 %', () => {
    const plan = planPrune(gemma2_2b, parseRecipe({ method: 'mlp-width', pruningFraction: 0.4 }));
    expect(plan.config.intermediate_size).toBe(5530);
    expect(plan.parameters.before.total).toBe(2_614_341_888);
    expect(plan.parameters.after.total).toBe(1_951_923_456);
    expect(plan.changePercent.toFixed(1)).toBe('-25.3');
  });

  it('Llama-3.2-1B, 20 % MLP pruning: 1,235,814,400 → 1,074,792,448', () => {
    const plan = planPrune(llama32_1b, parseRecipe({ method: 'mlp-width', pruningFraction: 0.2 }));
    expect(plan.parameters.after.total).toBe(1_074_792_448);
  });

  it('expansion rate and rounding', () => {
    // 140 % of hidden 2304 = 3225.6 neurons: p = 1 − 1.4·2304/9216 = 0.65, k = 9216 − floor(5990.4) = 3226.
    expect(planFor(planPrune(gemma2_2b, parseRecipe({ method: 'mlp-width', expansionRate: 140 })), 'mlp-width').keptNeurons).toBe(3226);
    expect(
      planFor(planPrune(gemma2_2b, parseRecipe({ method: 'mlp-width', pruningFraction: 0.4, roundTo: 256 })), 'mlp-width').keptNeurons,
    ).toBe(5632);
    expect(planFor(planPrune(gemma2_2b, parseRecipe({ method: 'mlp-width', intermediateSize: 4096 })), 'mlp-width').keptNeurons).toBe(4096);
  });

  it('depth: the last N, renumbered, with Gemma-2 layer_types kept consistent', () => {
    const plan = planFor(planPrune({ ...gemma2_2b, num_hidden_layers: 6 }, parseRecipe({ method: 'depth', layers: [1, 4] })), 'depth');
    expect(plan.config.num_hidden_layers).toBe(4);
    expect(plan.layerMap).toEqual([0, 2, 3, 5]);
    expect(plan.config.layer_types).toEqual(['sliding_attention', 'sliding_attention', 'full_attention', 'full_attention']);
    expect(planFor(planPrune(gemma2_2b, parseRecipe({ method: 'depth', last: 2 })), 'depth').removedLayers).toEqual([24, 25]);
  });

  it('depth on Gemma-3 without layer_types: the list is written out and the old pattern dropped, and the CLI renders it', () => {
    // transformers' Gemma3TextConfig: sliding_window_pattern 6 means layers 5, 11, … are global.
    const gemma3 = {
      model_type: 'gemma3_text',
      hidden_size: 64,
      intermediate_size: 128,
      num_hidden_layers: 12,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      head_dim: 16,
      vocab_size: 1000,
      sliding_window_pattern: 6,
    };
    const plan = planPrune(gemma3, parseRecipe({ method: 'depth', layers: [0, 5] }));
    expect(plan.config.layer_types).toEqual([
      ...Array(4).fill('sliding_attention'),
      ...Array(5).fill('sliding_attention'),
      'full_attention',
    ]);
    expect(plan.config).not.toHaveProperty('sliding_window_pattern');
    expect(plan.changes).toContainEqual({ field: 'sliding_window_pattern', from: 6, to: null });
    expect(plan.changes).toContainEqual(expect.objectContaining({ field: 'layer_types', from: undefined }));
    const text = renderPlan(plan);
    expect(text).toMatch(/layer_types\s+\(unset\)\s+\["sliding_attention"/);
    expect(text).toMatch(/sliding_window_pattern\s+6\s+\(unset\)/);
  });

  it('sparsity keeps every parameter and says how many it zeroes', () => {
    const plan = planFor(planPrune(gemma2_2b, parseRecipe({ method: 'sparsity', pattern: '2:4' })), 'sparsity');
    expect(plan.parameters.after.total).toBe(plan.parameters.before.total);
    expect(plan.sparsity.zeroed).toBe(plan.sparsity.targetParameters / 2);
  });
});

describe('bad recipes are refused with the field named', () => {
  const cases: Array<[string, unknown, string]> = [
    ['fraction outside [0,1)', { method: 'mlp-width', pruningFraction: 1.2 }, 'recipe.pruningFraction'],
    ['two sizes at once', { method: 'mlp-width', pruningFraction: 0.2, intermediateSize: 10 }, 'recipe.pruningFraction'],
    ['unknown criterion', { method: 'mlp-width', criterion: 'random', pruningFraction: 0.2 }, 'recipe.criterion'],
    ['N:M with N ≥ M', { method: 'sparsity', pattern: '4:4' }, 'recipe.pattern'],
    ['unknown method', { method: 'quantize' }, 'recipe.method'],
    ['unknown field', { method: 'depth', last: 1, keep: 3 }, 'recipe.keep'],
  ];
  it.each(cases)('%s', (_name, input, field) => {
    let caught: unknown;
    try {
      parseRecipe(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BadInputError);
    expect((caught as BadInputError).details.field).toBe(field);
    expect((caught as BadInputError).code).toBe('BAD_USER_INPUT');
  });

  it('a layer out of range, or every layer', () => {
    expect(() => planPrune(gemma2_2b, parseRecipe({ method: 'depth', layers: [26] }))).toThrow(
      /recipe.layers: layer 26 is out of range: the model has layers 0..25/,
    );
    expect(() => planPrune(gemma2_2b, parseRecipe({ method: 'depth', last: 26 }))).toThrow(
      /recipe.last: would remove every one of the 26 layers/,
    );
  });

  it('N:M on matrices whose inputs are not a multiple of M', () => {
    expect(() => planPrune({ ...gemma2_2b, intermediate_size: 9215 }, parseRecipe({ method: 'sparsity', pattern: '2:4' }))).toThrow(
      /recipe.pattern: .*down_proj.weight has 9215 inputs, not a multiple of M = 4/,
    );
  });
});
