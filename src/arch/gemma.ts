import { allFull, parseDecoder } from './decoder.js';
import type { ArchAdapter, ArchConfig } from './types.js';

const gemmaTraits = {
  tiedByDefault: true,
  qkNorm: false,
  alwaysQkvBias: false,
  gemmaStyle: true,
  defaultAct: 'gelu_pytorch_tanh',
  defaultRopeTheta: 10000,
};

export const gemma: ArchAdapter = {
  family: 'gemma',
  modelTypes: ['gemma'],
  parse: (config, file) =>
    parseDecoder(config, file, 'gemma', {
      ...gemmaTraits,
      sandwichNorms: false,
      layerTypes: (_r, n) => ({ types: allFull(n), window: null }),
    }),
};

export const gemma2: ArchAdapter = {
  family: 'gemma2',
  modelTypes: ['gemma2'],
  parse: (config, file) =>
    parseDecoder(config, file, 'gemma2', {
      ...gemmaTraits,
      sandwichNorms: true,
      queryPreAttnScalar: true,
      // Gemma-2 alternates: even layers use the sliding window (transformers' Gemma2Config).
      layerTypes: (r, n) => ({
        types:
          r.layerTypes('layer_types', n) ?? Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention')),
        window: r.int('sliding_window', 4096),
      }),
    }),
};

function parseGemma3Text(config: Record<string, unknown>, file: string): ArchConfig {
  const parsed = parseDecoder(config, file, 'gemma3', {
    ...gemmaTraits,
    qkNorm: true,
    queryPreAttnScalar: true,
    defaultRopeTheta: 1_000_000,
    sandwichNorms: true,
    // Five sliding layers, then one global (sliding_window_pattern 6), unless layer_types says otherwise.
    layerTypes: (r, n) => {
      const pattern = r.int('sliding_window_pattern', 6);
      return {
        types:
          r.layerTypes('layer_types', n) ??
          Array.from({ length: n }, (_, i) => ((i + 1) % pattern === 0 ? 'full_attention' : 'sliding_attention')),
        window: r.int('sliding_window', 4096),
      };
    },
  });
  // Gemma-3's sliding layers use their own RoPE base (rope_local_base_freq, default 10,000).
  return { ...parsed, ropeLocalTheta: parsed.ropeLocalTheta ?? 10000 };
}

export const gemma3: ArchAdapter = {
  family: 'gemma3',
  modelTypes: ['gemma3_text', 'gemma3'],
  parse: (config, file) => {
    // The multimodal Gemma-3 nests the language model's config under text_config.
    const text = config.text_config;
    if (config.model_type === 'gemma3' && typeof text === 'object' && text !== null) {
      const parsed = parseGemma3Text({ tie_word_embeddings: config.tie_word_embeddings, ...(text as Record<string, unknown>) }, file);
      return { ...parsed, modelType: 'gemma3', prefix: 'language_model.model.', lmHeadName: 'language_model.lm_head.weight' };
    }
    return parseGemma3Text(config, file);
  },
};
