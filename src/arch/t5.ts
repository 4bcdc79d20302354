// T5 and mT5 encoder-decoders, after transformers' modeling_t5.py / modeling_mt5.py: one `shared`
// embedding for encoder and decoder inputs, relative position buckets in the first block of each
// stack, RMS-style layer norms without bias, a ReLU (T5) or gated-GELU (T5 v1.1, mT5) MLP, and a
// head tied to `shared` (T5) or stored as `lm_head` (mT5). Only vocabulary trimming applies.
import { CheckpointError } from '../formats/checkpoint/folder.js';
import { checkActivation, epsilon } from './activations.js';
import { allFull } from './decoder.js';
import { ConfigReader, MAX_LAYERS } from './fields.js';
import type { ArchAdapter, ArchConfig, ExpectedTensor, T5Shape } from './types.js';

const EMBEDDING_COPIES = ['encoder.embed_tokens.weight', 'decoder.embed_tokens.weight'];

function parseT5(config: Record<string, unknown>, file: string, family: 't5' | 'mt5'): ArchConfig {
  const r = new ConfigReader(config, file);
  const projection = r.str('feed_forward_proj', 'relu');
  // transformers' T5Config: "{ACT_FN}" or "gated-{ACT_FN}".
  if (!/^(gated-)?[a-z_]+$/.test(projection)) {
    throw new CheckpointError(file, `feed_forward_proj "${projection}" is not of the form "{act}" or "gated-{act}"`);
  }
  // T5Config maps "gated-gelu" to gelu_new; any other act is looked up in ACT2FN.
  if (projection !== 'gated-gelu') checkActivation(projection.replace(/^gated-/, ''), 'feed_forward_proj', file);
  const numLayers = r.int('num_layers', undefined, MAX_LAYERS);
  const t5: T5Shape = {
    numDecoderLayers: r.int('num_decoder_layers', numLayers, MAX_LAYERS),
    gated: projection.startsWith('gated-'),
    numBuckets: r.int('relative_attention_num_buckets', 32),
    storedEmbeddingCopies: [],
  };
  const numHeads = r.int('num_heads');
  return {
    family,
    kind: 'encoder-decoder',
    t5,
    modelType: r.str('model_type', family),
    hiddenSize: r.int('d_model'),
    intermediateSize: r.int('d_ff'),
    numLayers,
    numHeads,
    numKvHeads: numHeads,
    headDim: r.int('d_kv'),
    vocabSize: r.int('vocab_size'),
    // T5Config defaults to a tied head, MT5Config to an untied one.
    tiedEmbeddings: r.bool('tie_word_embeddings', family === 't5'),
    qkvBias: false,
    oBias: false,
    mlpBias: false,
    qkNorm: false,
    layerNorms: [],
    rmsNormEps: epsilon(r, 'layer_norm_epsilon', 1e-6),
    ropeTheta: 0,
    ropeScaling: null,
    ropeLocalTheta: null,
    maxPositionEmbeddings: r.int('n_positions', 512),
    slidingWindow: null,
    // The decoder's caches: self-attention and cross-attention (over the encoder's output) per
    // decoder block, each holding one entry per position.
    layerTypes: allFull(2 * t5.numDecoderLayers),
    hiddenAct: projection.replace(/^gated-/, ''),
    scaleEmbeddings: false,
    normWeightOffset: false,
    attnLogitSoftcapping: null,
    finalLogitSoftcapping: null,
    queryPreAttnScalar: null,
    prefix: '',
    lmHeadName: 'lm_head.weight',
  };
}

export const t5: ArchAdapter = { family: 't5', modelTypes: ['t5'], parse: (c, f) => parseT5(c, f, 't5') };
export const mt5: ArchAdapter = { family: 'mt5', modelTypes: ['mt5'], parse: (c, f) => parseT5(c, f, 'mt5') };

export function t5Tensors(cfg: ArchConfig): ExpectedTensor[] {
  const s = cfg.t5;
  if (!s) throw new Error(`${cfg.family} is not an encoder-decoder`);
  const d = cfg.hiddenSize;
  const inner = cfg.numHeads * cfg.headDim;
  const ff = cfg.intermediateSize;
  const out: ExpectedTensor[] = [{ name: 'shared.weight', shape: [cfg.vocabSize, d], component: 'embedding', tokenRows: true }];
  for (const copy of s.storedEmbeddingCopies) out.push({ name: copy, shape: [cfg.vocabSize, d], component: 'embedding', tokenRows: true });
  const stack = (which: 'encoder' | 'decoder', layers: number) => {
    for (let l = 0; l < layers; l++) {
      const b = `${which}.block.${l}.layer.`;
      const attention = (sub: string) => {
        for (const m of ['q', 'k', 'v']) out.push({ name: `${sub}.${m}.weight`, shape: [inner, d], component: 'attention', layer: l });
        out.push({ name: `${sub}.o.weight`, shape: [d, inner], component: 'attention', layer: l });
      };
      attention(`${b}0.SelfAttention`);
      // Only the first block of each stack holds the relative position buckets (has_relative_attention_bias).
      if (l === 0)
        out.push({
          name: `${b}0.SelfAttention.relative_attention_bias.weight`,
          shape: [s.numBuckets, cfg.numHeads],
          component: 'attention',
          layer: l,
        });
      out.push({ name: `${b}0.layer_norm.weight`, shape: [d], component: 'norms', layer: l });
      let ffIndex = 1;
      if (which === 'decoder') {
        attention(`${b}1.EncDecAttention`);
        out.push({ name: `${b}1.layer_norm.weight`, shape: [d], component: 'norms', layer: l });
        ffIndex = 2;
      }
      const mlp = `${b}${ffIndex}.DenseReluDense.`;
      for (const wi of s.gated ? ['wi_0', 'wi_1'] : ['wi'])
        out.push({ name: `${mlp}${wi}.weight`, shape: [ff, d], component: 'mlp', layer: l });
      out.push({ name: `${mlp}wo.weight`, shape: [d, ff], component: 'mlp', layer: l });
      out.push({ name: `${b}${ffIndex}.layer_norm.weight`, shape: [d], component: 'norms', layer: l });
    }
    out.push({ name: `${which}.final_layer_norm.weight`, shape: [d], component: 'norms' });
  };
  stack('encoder', cfg.numLayers);
  stack('decoder', s.numDecoderLayers);
  if (!cfg.tiedEmbeddings) out.push({ name: cfg.lmHeadName, shape: [cfg.vocabSize, d], component: 'lm_head', tokenRows: true });
  return out;
}

/**
 * Safetensors files written by transformers keep one name per shared tensor (`shared.weight`);
 * older conversions also store the tied copies, which are then sliced like the original.
 */
export function alignT5(cfg: ArchConfig, tensorNames: readonly string[]): ArchConfig {
  if (!cfg.t5) return cfg;
  const names = new Set(tensorNames);
  return { ...cfg, t5: { ...cfg.t5, storedEmbeddingCopies: EMBEDDING_COPIES.filter((n) => names.has(n)) } };
}
