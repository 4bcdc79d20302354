import { allFull, llamaTraits, parseDecoder } from './decoder.js';
import type { ConfigReader } from './fields.js';
import type { ArchAdapter, LayerType } from './types.js';

/** Qwen2/3: sliding attention only with use_sliding_window, from max_window_layers on (transformers' Qwen2Config). */
function qwenLayerTypes(r: ConfigReader, n: number): { types: LayerType[]; window: number | null } {
  const listed = r.layerTypes('layer_types', n);
  const useSliding = r.bool('use_sliding_window', false);
  const window = useSliding ? r.optNum('sliding_window') : null;
  if (listed) return { types: listed, window: listed.includes('sliding_attention') ? window : null };
  if (!useSliding || !window) return { types: allFull(n), window: null };
  const from = r.int('max_window_layers', n);
  return { types: Array.from({ length: n }, (_, i) => (i >= from ? 'sliding_attention' : 'full_attention')), window };
}

export const qwen2: ArchAdapter = {
  family: 'qwen2',
  modelTypes: ['qwen2'],
  parse: (config, file) => parseDecoder(config, file, 'qwen2', { ...llamaTraits, alwaysQkvBias: true, layerTypes: qwenLayerTypes }),
};

export const qwen3: ArchAdapter = {
  family: 'qwen3',
  modelTypes: ['qwen3'],
  parse: (config, file) => parseDecoder(config, file, 'qwen3', { ...llamaTraits, qkNorm: true, layerTypes: qwenLayerTypes }),
};
