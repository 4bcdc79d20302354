// What every architecture adapter produces: one normalised description of a transformer, from
// which tensor names, shapes and parameter counts follow. Decoder-only families fill every field;
// encoders (BERT, XLM-R) and encoder-decoders (T5, mT5) add what only they have in `encoder` / `t5`.

export const DECODER_FAMILIES = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3'] as const;
export const ENCODER_FAMILIES = ['bert', 'xlm-roberta'] as const;
export const ENCODER_DECODER_FAMILIES = ['t5', 'mt5'] as const;
export const FAMILIES = [...DECODER_FAMILIES, ...ENCODER_FAMILIES, ...ENCODER_DECODER_FAMILIES] as const;
export type Family = (typeof FAMILIES)[number];
export type DecoderFamily = (typeof DECODER_FAMILIES)[number];

/** decoder: causal LM; encoder: BERT-style bidirectional; encoder-decoder: T5-style seq2seq. */
export type ModelKind = 'decoder' | 'encoder' | 'encoder-decoder';

/** What a BERT-style encoder has beyond the shared fields (transformers' BertModel / XLMRobertaModel). */
export interface EncoderShape {
  /** Rows of token_type_embeddings (BERT 2, XLM-R 1). */
  typeVocabSize: number;
  /** XLM-R numbers positions from padding_idx + 1 (transformers' create_position_ids_from_input_ids); BERT from 0. */
  positionOffset: number;
  padTokenId: number;
  layerNormEps: number;
  /** `pooler.dense` (BertModel's add_pooling_layer; absent under *ForMaskedLM). */
  pooler: boolean;
  /** The masked-LM head (BertForMaskedLM's `cls.predictions`, XLMRobertaForMaskedLM's `lm_head`). */
  mlmHead: boolean;
  /** BertForPreTraining's next-sentence head (`cls.seq_relationship`). */
  nspHead: boolean;
  /** The vocabulary projection of the masked-LM head stored, not tied to the word embeddings. */
  decoderStored: boolean;
  /** LayerNorm parameters named gamma/beta, as in checkpoints converted from the original TF BERT. */
  legacyNormNames: boolean;
}

/** What T5/mT5 have (transformers' T5ForConditionalGeneration). */
export interface T5Shape {
  numDecoderLayers: number;
  /** `feed_forward_proj` "gated-gelu" (T5 v1.1, mT5): wi_0 and wi_1 instead of wi. */
  gated: boolean;
  numBuckets: number;
  /** Copies of `shared.weight` stored under their tied names (encoder./decoder.embed_tokens.weight). */
  storedEmbeddingCopies: string[];
}

export const COMPONENTS = ['embedding', 'attention', 'mlp', 'norms', 'lm_head', 'other'] as const;
export type Component = (typeof COMPONENTS)[number];

export type LayerType = 'full_attention' | 'sliding_attention';

export interface ArchConfig {
  family: Family;
  kind: ModelKind;
  encoder?: EncoderShape;
  t5?: T5Shape;
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
  /** One row per token id: sliced row by row when the vocabulary is trimmed. */
  tokenRows?: true;
  /** Block index, for per-layer tensors. */
  layer?: number;
}

export interface ArchAdapter {
  family: Family;
  /** `model_type` values this adapter reads. */
  modelTypes: readonly string[];
  parse(config: Record<string, unknown>, file: string): ArchConfig;
}
