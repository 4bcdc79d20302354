import { allFull, parseDecoder } from './decoder.js';
import type { ArchAdapter } from './types.js';

export const mistral: ArchAdapter = {
  family: 'mistral',
  modelTypes: ['mistral'],
  parse: (config, file) =>
    parseDecoder(config, file, 'mistral', {
      tiedByDefault: false,
      sandwichNorms: false,
      qkNorm: false,
      alwaysQkvBias: false,
      gemmaStyle: false,
      defaultAct: 'silu',
      defaultRopeTheta: 10000,
      // Mistral applies its sliding window (when set) in every layer.
      layerTypes: (r, n) => {
        const window = r.optNum('sliding_window');
        return { types: window ? Array.from({ length: n }, () => 'sliding_attention' as const) : allFull(n), window };
      },
    }),
};
