// BERT-style encoders: `bert` (incl. multilingual BERT) and `xlm-roberta` (incl. the
// sentence-transformers encoders built on it: multilingual E5, bge-m3, granite-embedding), after
// transformers' modeling_bert.py / modeling_xlm_roberta.py: word + position + token-type
// embeddings and a LayerNorm, post-LN blocks (self-attention, GELU MLP), an optional pooler and an
// optional masked-LM head. Only vocabulary trimming applies to them (see src/pruning/plan.ts).
import { CheckpointError } from '../formats/checkpoint/folder.js';
import { activation, epsilon } from './activations.js';
import { ConfigReader, MAX_LAYERS } from './fields.js';
import type { ArchAdapter, ArchConfig, EncoderShape, ExpectedTensor } from './types.js';

/** Tensor prefixes of the encoder: BertModel / XLMRobertaModel saved alone ('') or under a head class. */
const BASE_PREFIX: Record<'bert' | 'xlm-roberta', string> = { bert: 'bert.', 'xlm-roberta': 'roberta.' };

function headsFor(architecture: string): Pick<EncoderShape, 'pooler' | 'mlmHead' | 'nspHead'> {
  // transformers: *ForMaskedLM builds the encoder with add_pooling_layer=False; *ForPreTraining
  // keeps the pooler for next-sentence prediction; the bare *Model has a pooler and no head.
  if (architecture.endsWith('ForMaskedLM')) return { pooler: false, mlmHead: true, nspHead: false };
  if (architecture.endsWith('ForPreTraining')) return { pooler: true, mlmHead: true, nspHead: true };
  return { pooler: true, mlmHead: false, nspHead: false };
}

function parseEncoder(config: Record<string, unknown>, file: string, family: 'bert' | 'xlm-roberta'): ArchConfig {
  const r = new ConfigReader(config, file);
  const hiddenSize = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  if (hiddenSize % numHeads !== 0) {
    throw new CheckpointError(file, `hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`);
  }
  const kind = r.str('position_embedding_type', 'absolute');
  if (kind !== 'absolute') throw new CheckpointError(file, `position_embedding_type "${kind}" is not supported (only "absolute")`);
  const architectures = config.architectures;
  const architecture = Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : '';
  const padTokenId = r.index('pad_token_id', family === 'xlm-roberta' ? 1 : 0);
  const numLayers = r.int('num_hidden_layers', undefined, MAX_LAYERS);
  const encoder: EncoderShape = {
    typeVocabSize: r.int('type_vocab_size', 2),
    positionOffset: family === 'xlm-roberta' ? padTokenId + 1 : 0,
    padTokenId,
    layerNormEps: epsilon(r, 'layer_norm_eps', 1e-12),
    ...headsFor(architecture),
    decoderStored: false,
    legacyNormNames: false,
  };
  return {
    family,
    kind: 'encoder',
    encoder,
    modelType: r.str('model_type', family),
    hiddenSize,
    intermediateSize: r.int('intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads: numHeads,
    headDim: hiddenSize / numHeads,
    vocabSize: r.int('vocab_size'),
    // The masked-LM decoder shares the word embeddings (transformers' tie_word_embeddings default).
    tiedEmbeddings: r.bool('tie_word_embeddings', true),
    qkvBias: true,
    oBias: true,
    mlpBias: true,
    qkNorm: false,
    layerNorms: [],
    rmsNormEps: encoder.layerNormEps,
    ropeTheta: 0,
    ropeScaling: null,
    ropeLocalTheta: null,
    maxPositionEmbeddings: r.int('max_position_embeddings', 512),
    slidingWindow: null,
    // No KV cache: an encoder reads the whole input at once.
    layerTypes: [],
    hiddenAct: activation(r, 'hidden_act', 'gelu'),
    scaleEmbeddings: false,
    normWeightOffset: false,
    attnLogitSoftcapping: null,
    finalLogitSoftcapping: null,
    queryPreAttnScalar: null,
    prefix: architecture.endsWith('Model') ? '' : BASE_PREFIX[family],
    lmHeadName: family === 'bert' ? 'cls.predictions.decoder.weight' : 'lm_head.decoder.weight',
  };
}

export const bert: ArchAdapter = { family: 'bert', modelTypes: ['bert'], parse: (c, f) => parseEncoder(c, f, 'bert') };
export const xlmRoberta: ArchAdapter = {
  family: 'xlm-roberta',
  modelTypes: ['xlm-roberta'],
  parse: (c, f) => parseEncoder(c, f, 'xlm-roberta'),
};

function shapeOf(cfg: ArchConfig): EncoderShape {
  if (!cfg.encoder) throw new Error(`${cfg.family} is not an encoder`);
  return cfg.encoder;
}

/** Names of the encoder's tensors, in one place for the parameter accounting and the ONNX graph. */
export function encoderNames(cfg: ArchConfig) {
  const e = shapeOf(cfg);
  const [w, b] = e.legacyNormNames ? ['gamma', 'beta'] : ['weight', 'bias'];
  const p = cfg.prefix;
  const head = cfg.family === 'bert' ? 'cls.predictions.' : 'lm_head.';
  return {
    wordEmbeddings: `${p}embeddings.word_embeddings.weight`,
    positionEmbeddings: `${p}embeddings.position_embeddings.weight`,
    tokenTypeEmbeddings: `${p}embeddings.token_type_embeddings.weight`,
    embeddingNorm: { weight: `${p}embeddings.LayerNorm.${w}`, bias: `${p}embeddings.LayerNorm.${b}` },
    layer: (l: number) => {
      const q = `${p}encoder.layer.${l}.`;
      return {
        query: `${q}attention.self.query`,
        key: `${q}attention.self.key`,
        value: `${q}attention.self.value`,
        attentionOut: `${q}attention.output.dense`,
        attentionNorm: { weight: `${q}attention.output.LayerNorm.${w}`, bias: `${q}attention.output.LayerNorm.${b}` },
        intermediate: `${q}intermediate.dense`,
        output: `${q}output.dense`,
        outputNorm: { weight: `${q}output.LayerNorm.${w}`, bias: `${q}output.LayerNorm.${b}` },
      };
    },
    pooler: `${p}pooler.dense`,
    /** The masked-LM head: dense + GELU + LayerNorm, then the (tied) vocabulary projection and its bias. */
    head: {
      dense: cfg.family === 'bert' ? `${head}transform.dense` : `${head}dense`,
      norm:
        cfg.family === 'bert'
          ? { weight: `${head}transform.LayerNorm.${w}`, bias: `${head}transform.LayerNorm.${b}` }
          : { weight: `${head}layer_norm.weight`, bias: `${head}layer_norm.bias` },
      decoder: `${head}decoder.weight`,
      bias: `${head}bias`,
    },
    nsp: 'cls.seq_relationship',
  };
}

export function encoderTensors(cfg: ArchConfig): ExpectedTensor[] {
  const e = shapeOf(cfg);
  const n = encoderNames(cfg);
  const H = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const out: ExpectedTensor[] = [
    { name: n.wordEmbeddings, shape: [cfg.vocabSize, H], component: 'embedding', tokenRows: true },
    { name: n.positionEmbeddings, shape: [cfg.maxPositionEmbeddings, H], component: 'embedding' },
    { name: n.tokenTypeEmbeddings, shape: [e.typeVocabSize, H], component: 'embedding' },
    { name: n.embeddingNorm.weight, shape: [H], component: 'norms' },
    { name: n.embeddingNorm.bias, shape: [H], component: 'norms' },
  ];
  const linear = (name: string, rows: number, cols: number, component: ExpectedTensor['component'], layer?: number) => {
    out.push({ name: `${name}.weight`, shape: [rows, cols], component, layer }, { name: `${name}.bias`, shape: [rows], component, layer });
  };
  for (let l = 0; l < cfg.numLayers; l++) {
    const t = n.layer(l);
    for (const proj of [t.query, t.key, t.value, t.attentionOut]) linear(proj, H, H, 'attention', l);
    out.push(
      { name: t.attentionNorm.weight, shape: [H], component: 'norms', layer: l },
      { name: t.attentionNorm.bias, shape: [H], component: 'norms', layer: l },
    );
    linear(t.intermediate, I, H, 'mlp', l);
    linear(t.output, H, I, 'mlp', l);
    out.push(
      { name: t.outputNorm.weight, shape: [H], component: 'norms', layer: l },
      { name: t.outputNorm.bias, shape: [H], component: 'norms', layer: l },
    );
  }
  if (e.pooler) linear(n.pooler, H, H, 'other');
  if (e.mlmHead) {
    linear(n.head.dense, H, H, 'lm_head');
    out.push(
      { name: n.head.norm.weight, shape: [H], component: 'lm_head' },
      { name: n.head.norm.bias, shape: [H], component: 'lm_head' },
      { name: n.head.bias, shape: [cfg.vocabSize], component: 'lm_head', tokenRows: true },
    );
    if (e.decoderStored || !cfg.tiedEmbeddings)
      out.push({ name: n.head.decoder, shape: [cfg.vocabSize, H], component: 'lm_head', tokenRows: true });
  }
  if (e.nspHead) linear(n.nsp, 2, H, 'other');
  return out;
}

/**
 * The encoder's shape as the files have it: the prefix ('' for a bare BertModel / a
 * sentence-transformers folder, `bert.` / `roberta.` under a head class), which optional parts are
 * stored, and legacy gamma/beta names (transformers renames them when loading).
 */
export function alignEncoder(cfg: ArchConfig, tensorNames: readonly string[]): ArchConfig {
  const names = new Set(tensorNames);
  const prefix = ['', BASE_PREFIX[cfg.family as 'bert' | 'xlm-roberta']].find((p) => names.has(`${p}embeddings.word_embeddings.weight`));
  if (prefix === undefined) return cfg;
  const at = { ...cfg, prefix };
  const n = encoderNames(at);
  const encoder: EncoderShape = {
    ...shapeOf(cfg),
    legacyNormNames: names.has(`${prefix}embeddings.LayerNorm.gamma`),
    pooler: names.has(`${n.pooler}.weight`),
    mlmHead: names.has(n.head.bias),
    nspHead: names.has(`${n.nsp}.weight`),
    decoderStored: names.has(n.head.decoder),
  };
  return { ...at, encoder };
}
