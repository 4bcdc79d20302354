import { allFull, llamaTraits, parseDecoder } from './decoder.js';
import type { ArchAdapter } from './types.js';

export const llama: ArchAdapter = {
  family: 'llama',
  modelTypes: ['llama'],
  parse: (config, file) =>
    parseDecoder(config, file, 'llama', { ...llamaTraits, layerTypes: (_r, n) => ({ types: allFull(n), window: null }) }),
};
