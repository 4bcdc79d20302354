// The tensors a checkpoint of a given configuration must contain, with their shapes: the single
// source for parameter accounting, validation, pruning and the ONNX export.
import { encoderNames, encoderTensors } from './encoder.js';
import { t5Tensors } from './t5.js';
import type { ArchConfig, ExpectedTensor } from './types.js';

export function layerPrefix(cfg: ArchConfig, layer: number): string {
  return `${cfg.prefix}layers.${layer}.`;
}

export function embeddingName(cfg: ArchConfig): string {
  if (cfg.kind === 'encoder') return encoderNames(cfg).wordEmbeddings;
  if (cfg.kind === 'encoder-decoder') return 'shared.weight';
  return `${cfg.prefix}embed_tokens.weight`;
}

export function finalNormName(cfg: ArchConfig): string {
  return `${cfg.prefix}norm.weight`;
}

export function layerTensors(cfg: ArchConfig, layer: number): ExpectedTensor[] {
  const H = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const p = layerPrefix(cfg, layer);
  const t = (name: string, shape: number[], component: ExpectedTensor['component']): ExpectedTensor => ({
    name: p + name,
    shape,
    component,
    layer,
  });
  const out: ExpectedTensor[] = [
    t('self_attn.q_proj.weight', [q, H], 'attention'),
    t('self_attn.k_proj.weight', [kv, H], 'attention'),
    t('self_attn.v_proj.weight', [kv, H], 'attention'),
    t('self_attn.o_proj.weight', [H, q], 'attention'),
  ];
  if (cfg.qkvBias) {
    out.push(
      t('self_attn.q_proj.bias', [q], 'attention'),
      t('self_attn.k_proj.bias', [kv], 'attention'),
      t('self_attn.v_proj.bias', [kv], 'attention'),
    );
  }
  if (cfg.oBias) out.push(t('self_attn.o_proj.bias', [H], 'attention'));
  if (cfg.qkNorm) out.push(t('self_attn.q_norm.weight', [cfg.headDim], 'norms'), t('self_attn.k_norm.weight', [cfg.headDim], 'norms'));
  out.push(t('mlp.gate_proj.weight', [I, H], 'mlp'), t('mlp.up_proj.weight', [I, H], 'mlp'), t('mlp.down_proj.weight', [H, I], 'mlp'));
  if (cfg.mlpBias) out.push(t('mlp.gate_proj.bias', [I], 'mlp'), t('mlp.up_proj.bias', [I], 'mlp'), t('mlp.down_proj.bias', [H], 'mlp'));
  for (const norm of cfg.layerNorms) out.push(t(`${norm}.weight`, [H], 'norms'));
  return out;
}

export function expectedTensors(cfg: ArchConfig): ExpectedTensor[] {
  if (cfg.kind === 'encoder') return encoderTensors(cfg);
  if (cfg.kind === 'encoder-decoder') return t5Tensors(cfg);
  const out: ExpectedTensor[] = [
    { name: embeddingName(cfg), shape: [cfg.vocabSize, cfg.hiddenSize], component: 'embedding', tokenRows: true },
  ];
  for (let i = 0; i < cfg.numLayers; i++) out.push(...layerTensors(cfg, i));
  out.push({ name: finalNormName(cfg), shape: [cfg.hiddenSize], component: 'norms' });
  if (!cfg.tiedEmbeddings)
    out.push({ name: cfg.lmHeadName, shape: [cfg.vocabSize, cfg.hiddenSize], component: 'lm_head', tokenRows: true });
  return out;
}

/**
 * The tensors with one row per token id (embeddings, heads and their biases), as the files name
 * them: what vocabulary trimming slices, each exactly once.
 */
export function tokenRowTensors(cfg: ArchConfig, tensorNames: readonly string[]): string[] {
  const expected = new Set(
    expectedTensors(cfg)
      .filter((t) => t.tokenRows)
      .map((t) => t.name),
  );
  // A decoder's head may carry a bias (e.g. some Qwen and Phi conversions): one row per token too.
  if (cfg.kind === 'decoder') expected.add(cfg.lmHeadName.replace(/\.weight$/, '.bias'));
  return tensorNames.filter((n) => expected.has(n));
}
