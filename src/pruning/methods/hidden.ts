// Hidden-channel pruning: Minitron's "embedding" axis (Muralidharan et al. 2024, arXiv
// 2407.14679, §2.2; Sreenivas et al. 2024, arXiv 2408.11796, §2): the same channels go from the
// whole residual stream, so every tensor that reads or writes it loses them — the embedding's
// columns (with tied embeddings also lm_head, one tensor), every RMSNorm weight over hidden
// (input_layernorm, post_attention_layernorm, Gemma-2/3's pre/post_feedforward_layernorm and the
// final norm), the input columns of q/k/v/gate/up_proj and of an untied lm_head, the output rows
// (and bias entries) of o_proj and down_proj. q_norm/k_norm act on head_dim and stay.
//
// Nothing compensates what the smaller stream changes: RMSNorm divides by the RMS over the kept
// channels only, so every layer's normalisation changes (and Gemma's embedding scale
// sqrt(hidden_size) with it); Minitron retrains by distillation after this axis (§2.3, §4).
//
// Criteria: activation, Minitron's F_emb (src/calibration/hiddenActivations.ts), and magnitude,
// the L2 norm of every weight the channel owns (LLM-Pruner's coupled structure, Ma et al. 2023,
// arXiv 2305.11627, §3, applied to a channel of the stream; data-free).

import { embeddingName, finalNormName } from '../../arch/tensors.js';
import type { Family } from '../../arch/types.js';
import { hiddenActivations } from '../../calibration/hiddenActivations.js';
import { BadInputError } from '../../errors.js';
import { DTYPE_BYTES } from '../../formats/safetensors/dtypes.js';
import { type HiddenRecipe, samplesOf } from '../../recipes/schema.js';
import { columnBlockSq, rowBlockSq } from '../blockSquares.js';
import { topK } from '../scores.js';
import { takeColumns, takeRows } from '../slice.js';
import { READS_HEAD_DIM } from './attention.js';
import { percentLabel } from './percent.js';
import { ONE_SHOT, type Output, type PruningMethod } from './types.js';

export interface HiddenPlan {
  method: 'hidden';
  recipe: HiddenRecipe;
  /** hidden_size of the parent. */
  hiddenBefore: number;
  /** Channels kept (the child's hidden_size). */
  keptChannels: number;
  /** head_dim, unchanged (written explicitly). */
  headDim: number;
}

const EPS = 1e-9;

/** Channels kept of H: H − floor(p·H) (p·H in binary floating point, hence EPS), or the target hidden_size. */
export function keptChannels(H: number, r: HiddenRecipe): number {
  if (r.hiddenSize !== undefined) {
    if (r.hiddenSize > H) throw new BadInputError('recipe.hiddenSize', `must not exceed the current hidden_size ${H}`);
    return r.hiddenSize;
  }
  const p = r.pruningFraction ?? 0;
  const removed = Math.min(Math.floor(p * H + EPS), H - 1);
  if (p > 0 && removed === 0)
    throw new BadInputError('recipe.pruningFraction', `removes no channel: ${p} × ${H} channels rounds down to 0 (1/${H} removes one)`);
  return H - removed;
}

/** Per layer, the tensors with hidden as their input (columns) and as their output (rows, bias entries). */
const READS = /^(self_attn\.[qkv]_proj|mlp\.(gate|up)_proj)\.weight$/;
const WRITES = /^(self_attn\.o_proj|mlp\.down_proj)\.(weight|bias)$/;

export const hidden: PruningMethod<'hidden', HiddenPlan> = {
  method: 'hidden',
  relation: 'HIDDEN_PRUNED',
  needsCalibration: (r) => r.criterion === 'activation',

  async calibrate(dir, recipe, o) {
    const samples = samplesOf(recipe);
    return { recipe: { ...recipe, samples }, hiddenScores: await hiddenActivations(dir, recipe.calibration!, samples, o) };
  },

  plan(ctx, recipe) {
    const { arch } = ctx;
    if (!READS_HEAD_DIM.has(arch.family as Family))
      throw new BadInputError(
        'recipe.method',
        `hidden-channel pruning needs a family whose transformers attention reads head_dim from the config; ${arch.family} derives it from hidden_size / num_attention_heads`,
      );
    if (ctx.text !== '')
      throw new BadInputError(
        'recipe.method',
        'hidden-channel pruning of a multimodal checkpoint is not supported: its projector maps the vision tower into the text hidden size',
      );
    const kept = keptChannels(arch.hiddenSize, recipe);
    if (kept !== arch.hiddenSize) {
      // Written before hidden_size: hidden_size / num_attention_heads no longer gives it.
      if (ctx.target.head_dim === undefined || ctx.target.head_dim === null) ctx.set('head_dim', arch.headDim);
      ctx.set('hidden_size', kept);
    }
    return { recipe, hiddenBefore: arch.hiddenSize, keptChannels: kept, headDim: arch.headDim };
  },

  async outputs(ctx, plan) {
    const { ckpt, infos, layerRe, same, calibrated } = ctx;
    const H = plan.hiddenBefore;
    if (plan.keptChannels === H) return { tensors: infos.map(same) };
    const parent = { ...plan.arch, prefix: ctx.prefix };
    const embedding = embeddingName(parent);
    const finalNorm = finalNormName(parent);
    // Text-only checkpoints (the plan refuses multimodal ones): lm_head.weight, when not tied.
    const lmHead = plan.arch.lmHeadName;
    const norms = new Set(plan.arch.layerNorms.map((n) => `${n}.weight`));
    let scores: Float64Array;
    if (plan.recipe.criterion === 'activation') {
      if (!calibrated.hiddenScores)
        throw new BadInputError('recipe.criterion', 'the activation criterion needs calibration scores (none were computed)');
      scores = calibrated.hiddenScores;
    } else {
      // Σ w² over the channel's embedding/lm_head columns, its projection columns and rows; then the L2 norm.
      const sq = new Float64Array(H);
      for (const t of infos) {
        ctx.signal?.throwIfAborted();
        const rest = layerRe.exec(t.name)?.[2];
        if (t.name === embedding || t.name === lmHead || (rest !== undefined && READS.test(rest)))
          columnBlockSq(await ckpt.readBytes(t.name), t.dtype, H, 1, sq);
        else if (rest !== undefined && /^(self_attn\.o_proj|mlp\.down_proj)\.weight$/.test(rest))
          rowBlockSq(await ckpt.readBytes(t.name), t.dtype, t.shape[1]!, 1, sq);
      }
      scores = sq.map(Math.sqrt);
    }
    ctx.report({ stage: 'scoring', progress: 0.1 });
    const keep = topK(scores, plan.keptChannels);
    const tensors = infos.map((t): Output => {
      const e = DTYPE_BYTES[t.dtype];
      const rest = layerRe.exec(t.name)?.[2];
      const columns = (): Output => {
        const rows = t.shape[0]!;
        return { ...same(t), shape: [rows, keep.length], transform: (b) => takeColumns(b, rows, H, e, keep) };
      };
      const rows = (): Output => {
        const cols = t.shape.length === 2 ? t.shape[1]! : 1;
        return {
          ...same(t),
          shape: t.shape.length === 2 ? [keep.length, cols] : [keep.length],
          transform: (b) => takeRows(b, cols, e, keep),
        };
      };
      if (t.name === embedding || t.name === lmHead) return columns();
      if (t.name === finalNorm) return rows();
      if (rest === undefined) return same(t);
      if (READS.test(rest)) return columns();
      if (WRITES.test(rest) || norms.has(rest)) return rows();
      return same(t);
    });
    return { tensors };
  },

  result: (plan) => ({ hidden_channels_kept: plan.keptChannels, hidden_channels_removed: plan.hiddenBefore - plan.keptChannels }),

  childNameSuffix(recipe) {
    const size = recipe.pruningFraction !== undefined ? `hidden${percentLabel(recipe.pruningFraction)}` : `hidden-size${recipe.hiddenSize}`;
    return `${size}-${recipe.criterion}`;
  },

  hubTag: 'hidden-channel-pruning',

  card(recipe) {
    const ratio =
      recipe.pruningFraction !== undefined
        ? `${Number((Number(recipe.pruningFraction) * 100).toPrecision(6))} % of the hidden (embedding) channels removed from the whole residual stream`
        : `hidden_size → ${recipe.hiddenSize}`;
    const criterion =
      recipe.criterion === 'activation'
        ? `activation (Minitron, Muralidharan et al. 2024, §2.2: each channel's magnitude at the output of every block's RMSNorms over ${samplesOf(recipe as { samples?: number })} calibration tokens, mean over each 256-token sequence, L2 over sequences, summed over the norms)`
        : 'magnitude (L2 norm of every weight the channel owns: embedding and lm_head columns, q/k/v/gate/up_proj columns, o/down_proj rows)';
    return { method: 'hidden-channel pruning (embedding channels)', criterion, ratio };
  },

  limitations: [
    ONE_SHOT,
    '- RMSNorm now averages over fewer channels, so every layer’s normalisation differs from the parent’s (and, in Gemma, the embedding scale √hidden_size): this method needs recovery by distillation more than the others before use (Minitron distils after pruning this axis).',
    '- head_dim is written to config.json explicitly: loading the child needs a transformers release whose attention and rotary embedding read config.head_dim.',
  ],

  summary: (plan) => [
    `keeps ${plan.keptChannels} of ${plan.hiddenBefore} hidden channels in the whole residual stream (head_dim ${plan.headDim} written explicitly)`,
    'RMSNorm then averages over fewer channels, which changes every layer’s normalisation: this child needs recovery (distillation) more than other methods’ children',
  ],
};
