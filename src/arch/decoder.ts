// The fields every supported family shares; family files state only what differs.
import { CheckpointError } from '../formats/checkpoint/folder.js';
import { activation, epsilon } from './activations.js';
import { ConfigReader, MAX_LAYERS } from './fields.js';
import { readRopeScaling } from './rope.js';
import type { ArchConfig, Family, LayerType } from './types.js';

export interface FamilyTraits {
  tiedByDefault: boolean;
  /** Extra RMSNorms around the MLP (Gemma-2/3). */
  sandwichNorms: boolean;
  qkNorm: boolean;
  /** Qwen2 always has q/k/v biases, whatever `attention_bias` says. */
  alwaysQkvBias: boolean;
  gemmaStyle: boolean;
  /**
   * Queries scaled by query_pre_attn_scalar^-0.5 (transformers' Gemma2Attention, Gemma3Attention);
   * Gemma-1 has the field in its configs but GemmaAttention scales by head_dim^-0.5.
   */
  queryPreAttnScalar?: boolean;
  defaultAct: string;
  defaultRopeTheta: number;
  layerTypes(r: ConfigReader, numLayers: number): { types: LayerType[]; window: number | null };
}

export function allFull(numLayers: number): LayerType[] {
  return Array.from({ length: numLayers }, () => 'full_attention' as const);
}

export function parseDecoder(config: Record<string, unknown>, file: string, family: Family, traits: FamilyTraits): ArchConfig {
  const r = new ConfigReader(config, file);
  const hiddenSize = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  const numLayers = r.int('num_hidden_layers', undefined, MAX_LAYERS);
  if (!r.has('head_dim') && hiddenSize % numHeads !== 0) {
    throw new CheckpointError(
      file,
      `hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}, and head_dim is not given`,
    );
  }
  const numKvHeads = r.int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new CheckpointError(file, `num_attention_heads ${numHeads} must be a multiple of num_key_value_heads ${numKvHeads}`);
  }
  const headDim = r.int('head_dim', hiddenSize / numHeads);
  const attentionBias = r.bool('attention_bias', false);
  const { types, window } = traits.layerTypes(r, numLayers);
  return {
    family,
    kind: 'decoder',
    modelType: r.str('model_type', family),
    hiddenSize,
    intermediateSize: r.int('intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: r.int('vocab_size'),
    tiedEmbeddings: r.bool('tie_word_embeddings', traits.tiedByDefault),
    qkvBias: traits.alwaysQkvBias || attentionBias,
    oBias: attentionBias,
    mlpBias: r.bool('mlp_bias', false),
    qkNorm: traits.qkNorm,
    layerNorms: traits.sandwichNorms
      ? ['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm']
      : ['input_layernorm', 'post_attention_layernorm'],
    rmsNormEps: epsilon(r, 'rms_norm_eps', 1e-6),
    ropeTheta: r.num('rope_theta', traits.defaultRopeTheta),
    ropeScaling: readRopeScaling(config, file),
    ropeLocalTheta: r.optNum('rope_local_base_freq'),
    maxPositionEmbeddings: r.int('max_position_embeddings', 2048),
    slidingWindow: window,
    layerTypes: types,
    // Gemma reads `hidden_activation` when the config has it (modeling_gemma.py).
    hiddenAct: activation(r, traits.gemmaStyle && r.has('hidden_activation') ? 'hidden_activation' : 'hidden_act', traits.defaultAct),
    scaleEmbeddings: traits.gemmaStyle,
    normWeightOffset: traits.gemmaStyle,
    attnLogitSoftcapping: r.optNum('attn_logit_softcapping'),
    finalLogitSoftcapping: r.optNum('final_logit_softcapping'),
    queryPreAttnScalar: traits.queryPreAttnScalar && r.has('query_pre_attn_scalar') ? r.num('query_pre_attn_scalar', headDim) : null,
    prefix: 'model.',
    lmHeadName: 'lm_head.weight',
  };
}

/** Llama-style blocks: SiLU GLU, two RMSNorms, untied by default, no q/k norm. */
export const llamaTraits: Omit<FamilyTraits, 'layerTypes'> = {
  tiedByDefault: false,
  sandwichNorms: false,
  qkNorm: false,
  alwaysQkvBias: false,
  gemmaStyle: false,
  defaultAct: 'silu',
  defaultRopeTheta: 10000,
};
