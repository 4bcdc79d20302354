// Rotary position embedding frequencies, with the `rope_scaling` variants of transformers'
// modeling_rope_utils.py that decoder checkpoints in the supported families use: none
// ("default"), "linear" (positions divided by `factor`, e.g. Gemma-3's global layers) and
// "llama3" (Llama-3.1/3.2: long wavelengths divided by `factor`, short ones kept, a smooth blend
// between). Others (dynamic, yarn, longrope) change the tables with the sequence length and are
// refused when a graph is built, naming the field.
import { CheckpointError } from '../formats/checkpoint/folder.js';

export interface RopeScaling {
  type: string;
  factor: number;
  lowFreqFactor?: number;
  highFreqFactor?: number;
  originalMaxPositionEmbeddings?: number;
}

export const SUPPORTED_ROPE_SCALING = ['default', 'linear', 'llama3'] as const;

/** `rope_scaling` of a config, or null when absent or "default". */
export function readRopeScaling(config: Record<string, unknown>, file: string): RopeScaling | null {
  const raw = config.rope_scaling;
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new CheckpointError(file, 'rope_scaling must be an object or null');
  const r = raw as Record<string, unknown>;
  const type = String(r.rope_type ?? r.type ?? 'default');
  if (type === 'default') return null;
  const num = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : undefined);
  const factor = num('factor');
  if (factor === undefined || !(factor > 0))
    throw new CheckpointError(file, `rope_scaling.factor must be a positive number (type ${type})`);
  return {
    type,
    factor,
    lowFreqFactor: num('low_freq_factor'),
    highFreqFactor: num('high_freq_factor'),
    originalMaxPositionEmbeddings: num('original_max_position_embeddings'),
  };
}

/** inv_freq[i] = theta^(−2i/d), then scaled (transformers' _compute_*_parameters). */
export function ropeInverseFrequencies(theta: number, headDim: number, scaling: RopeScaling | null): Float64Array {
  const inv = new Float64Array(headDim / 2).map((_, i) => 1 / theta ** ((2 * i) / headDim));
  if (!scaling) return inv;
  if (scaling.type === 'linear') return inv.map((f) => f / scaling.factor);
  if (scaling.type === 'llama3') {
    const low = scaling.lowFreqFactor ?? 1;
    const high = scaling.highFreqFactor ?? 4;
    const original = scaling.originalMaxPositionEmbeddings ?? 8192;
    const lowWavelen = original / low;
    const highWavelen = original / high;
    return inv.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) return f;
      if (wavelen > lowWavelen) return f / scaling.factor;
      const smooth = (original / wavelen - low) / (high - low);
      return (1 - smooth) * (f / scaling.factor) + smooth * f;
    });
  }
  throw new CheckpointError(
    'config.json',
    `rope_scaling type ${scaling.type} is not supported (${SUPPORTED_ROPE_SCALING.join(', ')} are); its tables depend on the sequence length`,
    'UNSUPPORTED_ARCHITECTURE',
  );
}
