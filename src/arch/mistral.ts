import { allFull, llamaTraits, parseDecoder } from './decoder.js';
import type { ArchAdapter } from './types.js';

export const mistral: ArchAdapter = {
  family: 'mistral',
  modelTypes: ['mistral'],
  parse: (config, file) =>
    parseDecoder(config, file, 'mistral', {
      ...llamaTraits,
      // Mistral applies its sliding window (when set) in every layer.
      layerTypes: (r, n) => {
        const window = r.optNum('sliding_window');
        return { types: window ? Array.from({ length: n }, () => 'sliding_attention' as const) : allFull(n), window };
      },
    }),
};
