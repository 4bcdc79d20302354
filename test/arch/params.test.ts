import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectCheckpoint } from '../../src/arch/inspect.js';
import { countFromConfig } from '../../src/arch/params.js';
import { parseArchitecture, SUPPORTED_MODEL_TYPES } from '../../src/arch/registry.js';
import { DECODER_FAMILIES } from '../../src/arch/types.js';
import { BonsaiError } from '../../src/errors.js';
import { buildCheckpoint, sharedModel } from '../fixtures/checkpoints.js';
import { gemma2_2b, llama32_1b } from '../fixtures/configs.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('bonsai-arch-');

describe('parameter counts from config.json alone (figures published on the models’ Hub pages)', () => {
  it('Gemma-2-2B: 2,614,341,888', () => {
    const cfg = parseArchitecture(gemma2_2b, 'gemma-2-2b/config.json');
    expect(countFromConfig(cfg).total).toBe(2_614_341_888);
    expect(countFromConfig(cfg).byComponent.lm_head).toBe(0);
  });

  it('Llama-3.2-1B: 1,235,814,400', () => {
    const cfg = parseArchitecture(llama32_1b, 'llama-3.2-1b/config.json');
    expect(countFromConfig(cfg).total).toBe(1_235_814_400);
  });
});

describe('the shared model', () => {
  it('has 8,800,704 parameters, 6,144,000 of them in the embedding, both ways', async () => {
    const r = await inspectCheckpoint(sharedModel);
    expect(r.parameters.fromTensors.total).toBe(8_800_704);
    expect(r.parameters.fromConfig.total).toBe(8_800_704);
    expect(r.parameters.fromTensors.byComponent.embedding).toBe(6_144_000);
    expect(r.parameters.agree).toBe(true);
    expect(r.dtype).toBe('BF16');
    expect(r.weightMemory.bf16).toBe(2 * 8_800_704);
  });
});

describe.each(DECODER_FAMILIES)('%s fixture', (family) => {
  it('is read back with the counts from config and tensors in agreement', async () => {
    const out = join(dir, family);
    await buildCheckpoint(family, out, { maxShardBytes: family === 'qwen3' ? 2_000_000 : undefined });
    const r = await inspectCheckpoint(out);
    expect(r.arch.family).toBe(family);
    expect(r.parameters.fromTensors.missing).toEqual([]);
    expect(r.parameters.fromTensors.unexpected).toEqual([]);
    expect(r.parameters.agree).toBe(true);
    expect(r.parameters.fromTensors.byComponent.mlp).toBe(4 * 3 * 32 * 96);
    if (family === 'qwen3') expect(r.sharded).toBe(true);
  });
});

describe('family specifics', () => {
  it('Qwen2 has q/k/v biases, Qwen3 and Gemma-3 have q/k norms, Gemma-2/3 four norms per block', () => {
    const base = { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100 };
    expect(parseArchitecture({ ...base, model_type: 'qwen2' }, 'c').qkvBias).toBe(true);
    expect(parseArchitecture({ ...base, model_type: 'qwen3' }, 'c').qkNorm).toBe(true);
    expect(parseArchitecture({ ...base, model_type: 'gemma3_text' }, 'c').qkNorm).toBe(true);
    expect(parseArchitecture({ ...base, model_type: 'gemma2' }, 'c').layerNorms).toHaveLength(4);
    expect(parseArchitecture({ ...base, model_type: 'llama' }, 'c').layerNorms).toHaveLength(2);
  });

  it('Gemma-2 alternates sliding and global layers; Gemma-3 has one global layer in six', () => {
    const base = { hidden_size: 32, intermediate_size: 64, num_attention_heads: 4, vocab_size: 100 };
    const g2 = parseArchitecture({ ...base, model_type: 'gemma2', num_hidden_layers: 4 }, 'c');
    expect(g2.layerTypes).toEqual(['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention']);
    const g3 = parseArchitecture({ ...base, model_type: 'gemma3_text', num_hidden_layers: 12 }, 'c');
    expect(g3.layerTypes.map((t, i) => (t === 'full_attention' ? i : -1)).filter((i) => i >= 0)).toEqual([5, 11]);
  });
});

describe('bad configs', () => {
  it('an unsupported architecture names the supported ones', () => {
    let caught: unknown;
    try {
      parseArchitecture({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }, 'x/config.json');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BonsaiError);
    expect((caught as BonsaiError).code).toBe('UNSUPPORTED_ARCHITECTURE');
    for (const t of SUPPORTED_MODEL_TYPES) expect((caught as Error).message).toContain(t);
  });

  it('a missing or wrong field is named', () => {
    expect(() => parseArchitecture({ model_type: 'llama', hidden_size: 32, num_attention_heads: 4 }, 'x/config.json')).toThrow(
      /x\/config.json: num_hidden_layers is required and must be a positive integer/,
    );
    expect(() =>
      parseArchitecture(
        { model_type: 'llama', hidden_size: '32', num_attention_heads: 4, num_hidden_layers: 2, intermediate_size: 8, vocab_size: 9 },
        'x/config.json',
      ),
    ).toThrow(/hidden_size must be a positive integer \(got "32"\)/);
  });
});
