// What every architecture adapter produces: one normalised description of a decoder-only
// transformer, from which tensor names, shapes and parameter counts follow.

export const FAMILIES = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3'] as const;
export type Family = (typeof FAMILIES)[number];

export const COMPONENTS = ['embedding', 'attention', 'mlp', 'norms', 'lm_head', 'other'] as const;
export type Component = (typeof COMPONENTS)[number];

export type LayerType = 'full_attention' | 'sliding_attention';

export interface ArchConfig {
  family: Family;
  /** `model_type` as written in config.json. */
  modelType: string;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  tiedEmbeddings: boolean;
  /** Biases on q/k/v (Qwen2; Llama's `attention_bias` also puts one on o_proj). */
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  /** Per-head RMSNorm on queries and keys (Qwen3, Gemma-3). */
  qkNorm: boolean;
  /** Names of the RMSNorms in each block, e.g. input_layernorm, post_attention_layernorm. */
  layerNorms: string[];
  rmsNormEps: number;
  ropeTheta: number;
  /** `rope_scaling` (src/arch/rope.ts); null: none. Gemma-3 applies it to global layers only. */
  ropeScaling: import('./rope.js').RopeScaling | null;
  /** RoPE theta of sliding-window layers when it differs (Gemma-3's rope_local_base_freq). */
  ropeLocalTheta: number | null;
  maxPositionEmbeddings: number;
  slidingWindow: number | null;
  layerTypes: LayerType[];
  hiddenAct: string;
  /** Gemma multiplies embeddings by sqrt(hidden_size). */
  scaleEmbeddings: boolean;
  /** Gemma's RMSNorm multiplies by (1 + weight). */
  normWeightOffset: boolean;
  attnLogitSoftcapping: number | null;
  finalLogitSoftcapping: number | null;
  /** Gemma-2/3 scale queries by query_pre_attn_scalar^-0.5 instead of head_dim^-0.5 (null: head_dim^-0.5). */
  queryPreAttnScalar: number | null;
  /** Prefix of the decoder's tensors ("model." or, inside a multimodal Gemma-3, "language_model.model."). */
  prefix: string;
  lmHeadName: string;
}

export interface ExpectedTensor {
  name: string;
  shape: number[];
  component: Component;
  /** Block index, for per-layer tensors. */
  layer?: number;
}

export interface ArchAdapter {
  family: Family;
  /** `model_type` values this adapter reads. */
  modelTypes: readonly string[];
  parse(config: Record<string, unknown>, file: string): ArchConfig;
}
