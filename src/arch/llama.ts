import { allFull, parseDecoder } from './decoder.js';
import type { ArchAdapter } from './types.js';

export const llama: ArchAdapter = {
  family: 'llama',
  modelTypes: ['llama'],
  parse: (config, file) =>
    parseDecoder(config, file, 'llama', {
      tiedByDefault: false,
      sandwichNorms: false,
      qkNorm: false,
      alwaysQkvBias: false,
      gemmaStyle: false,
      defaultAct: 'silu',
      defaultRopeTheta: 10000,
      layerTypes: (_r, n) => ({ types: allFull(n), window: null }),
    }),
};
