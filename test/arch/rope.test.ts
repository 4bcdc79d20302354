// RoPE frequencies with rope_scaling, against transformers' _compute_llama3_parameters and
// _compute_linear_scaling_parameters (modeling_rope_utils.py), restated here loop by loop.
import { describe, expect, it } from 'vitest';
import { parseArchitecture } from '../../src/arch/registry.js';
import { ropeInverseFrequencies } from '../../src/arch/rope.js';
import { llama32_1b } from '../fixtures/configs.js';

// Llama-3.2-1B's published config.json.
const llama3 = { factor: 32, high_freq_factor: 4, low_freq_factor: 1, original_max_position_embeddings: 8192, rope_type: 'llama3' };

function transformersLlama3(base: number, dim: number): number[] {
  const out: number[] = [];
  const lowFreqWavelen = llama3.original_max_position_embeddings / llama3.low_freq_factor;
  const highFreqWavelen = llama3.original_max_position_embeddings / llama3.high_freq_factor;
  for (let i = 0; i < dim; i += 2) {
    const invFreq = 1 / base ** (i / dim);
    const wavelen = (2 * Math.PI) / invFreq;
    let f = wavelen > lowFreqWavelen ? invFreq / llama3.factor : invFreq;
    const smooth =
      (llama3.original_max_position_embeddings / wavelen - llama3.low_freq_factor) / (llama3.high_freq_factor - llama3.low_freq_factor);
    const isMedium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
    if (isMedium) f = (1 - smooth) * (f / llama3.factor) + smooth * f;
    out.push(f);
  }
  return out;
}

describe('rope_scaling', () => {
  it('llama3 (Llama-3.2-1B): short wavelengths kept, long ones divided by 32, a blend between', () => {
    const arch = parseArchitecture({ ...llama32_1b, rope_theta: 500000, rope_scaling: llama3 }, 'config.json');
    expect(arch.ropeScaling).toMatchObject({ type: 'llama3', factor: 32 });
    const ours = ropeInverseFrequencies(500000, 64, arch.ropeScaling);
    const theirs = transformersLlama3(500000, 64);
    for (let i = 0; i < 32; i++) expect(ours[i]).toBeCloseTo(theirs[i]!, 15);
    expect(ours[0]).toBe(1);
    expect(ours[31]).toBeCloseTo(1 / 500000 ** (62 / 64) / 32, 18);
  });

  it('linear divides every frequency by the factor; default is none; others are refused by name', () => {
    const linear = ropeInverseFrequencies(10000, 8, { type: 'linear', factor: 8 });
    for (const [i, f] of [1, 0.1, 0.01, 0.001].entries()) expect(linear[i]).toBeCloseTo(f / 8, 15);
    expect(parseArchitecture({ ...llama32_1b, rope_scaling: { rope_type: 'default' } }, 'config.json').ropeScaling).toBeNull();
    expect(() => ropeInverseFrequencies(10000, 8, { type: 'yarn', factor: 4 })).toThrow(/rope_scaling type yarn is not supported/);
  });
});
