// Attention head pruning: whole key/value groups (a KV head with all its query heads) or the same
// number of query heads from every group, so grouped-query attention stays valid (heads per group
// an integer). Every layer keeps the same counts (the config has one value), each layer its own
// heads. q/k/v_proj lose the heads' rows (and bias entries), o_proj the heads' columns;
// q_norm/k_norm (Qwen3, Gemma-3) act on one head's head_dim values and stay as they are.
//
// Criteria: magnitude, the L2 norm of the weights a unit owns (LLM-Pruner, Ma et al. 2023,
// arXiv 2305.11627, §3: a head is a coupled group of q/k/v rows and o_proj columns; its
// data-free "L2 weight" baseline), and activation, Minitron's F_head (Muralidharan et al. 2024,
// arXiv 2407.14679, §2.2; aggregation per src/calibration/headActivations.ts). o_proj may be refit
// by least squares on the kept heads' outputs, as width pruning refits down_proj (src/pruning/
// refit.ts), kept per layer only where it lowers the held-out error (src/pruning/heldOut.ts).
import { layerPrefix } from '../../arch/tensors.js';
import type { ArchConfig, Family } from '../../arch/types.js';
import { headActivations } from '../../calibration/headActivations.js';
import { BadInputError } from '../../errors.js';
import { DTYPE_BYTES, fromFloat32, toFloat32 } from '../../formats/safetensors/dtypes.js';
import { type AttentionRecipe, dampeningOf, samplesOf } from '../../recipes/schema.js';
import { columnBlockSq, rowBlockSq } from '../blockSquares.js';
import { decide, type HeldOutDecision, readGram, refitReport } from '../heldOut.js';
import { downProjGrams } from '../reconstruct.js';
import { heldOutErrors, refitDownProj } from '../refit.js';
import { topK } from '../scores.js';
import { takeColumns, takeRows } from '../slice.js';
import { percentLabel } from './percent.js';
import { ONE_SHOT, type Output, type PruningMethod } from './types.js';

export interface AttentionPlan {
  method: 'attention';
  recipe: AttentionRecipe;
  /** Key/value heads (groups) kept per layer. */
  keptGroups: number;
  /** Query heads kept in every kept group. */
  keptPerGroup: number;
  /** head_dim, unchanged (written explicitly). */
  headDim: number;
}

/**
 * Families whose transformers attention reads `config.head_dim`, so fewer heads do not change
 * it: LlamaAttention, MistralAttention and Qwen2Attention take
 * `getattr(config, "head_dim", hidden_size // num_attention_heads)`; Qwen3, Gemma, Gemma-2 and
 * Gemma-3 take `config.head_dim` (huggingface/transformers, src/transformers/models/<family>/
 * modeling_<family>.py). BERT and XLM-R compute `hidden_size / num_attention_heads`
 * (BertSelfAttention.attention_head_size) and are refused.
 */
export const READS_HEAD_DIM: ReadonlySet<Family> = new Set(['llama', 'mistral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3']);

const EPS = 1e-9;

/** Units removed of n for a fraction p: floor(p·n) (p·n in binary floating point, hence EPS), at most n − 1. */
const removedOf = (p: number, n: number) => Math.min(Math.floor(p * n + EPS), n - 1);

/** The kept key/value groups and query heads per group (every layer the same). */
export function keptHeads(arch: ArchConfig, r: AttentionRecipe): { keptGroups: number; keptPerGroup: number } {
  const G = arch.numKvHeads;
  const perGroup = arch.numHeads / G;
  if (r.unit === 'query-group') {
    let kept = G - removedOf(r.pruningFraction ?? 0, G);
    if (r.numKeyValueHeads !== undefined) {
      if (r.numKeyValueHeads > G)
        throw new BadInputError('recipe.numKeyValueHeads', `must not exceed the current num_key_value_heads ${G}`);
      kept = r.numKeyValueHeads;
    }
    if (r.numAttentionHeads !== undefined) {
      if (r.numAttentionHeads > arch.numHeads || r.numAttentionHeads % perGroup !== 0)
        throw new BadInputError(
          'recipe.numAttentionHeads',
          `must be a multiple of the ${perGroup} query heads per group, at most num_attention_heads ${arch.numHeads}, to remove whole groups`,
        );
      kept = r.numAttentionHeads / perGroup;
    }
    if ((r.pruningFraction ?? 0) > 0 && kept === G)
      throw new BadInputError(
        'recipe.pruningFraction',
        `removes no key/value group: ${r.pruningFraction} × ${G} groups rounds down to 0 (at least ${(1 / G).toFixed(4)} removes one)`,
      );
    return { keptGroups: kept, keptPerGroup: perGroup };
  }
  let kept = perGroup - removedOf(r.pruningFraction ?? 0, perGroup);
  if (r.numAttentionHeads !== undefined) {
    if (r.numAttentionHeads > arch.numHeads || r.numAttentionHeads % G !== 0)
      throw new BadInputError(
        'recipe.numAttentionHeads',
        `must be a multiple of the ${G} key/value groups, at most num_attention_heads ${arch.numHeads}, to keep the same heads in every group`,
      );
    kept = r.numAttentionHeads / G;
  }
  if (perGroup === 1 && (kept < perGroup || (r.pruningFraction ?? 0) > 0))
    throw new BadInputError(
      'recipe.unit',
      'this model has one query head per key/value head (no grouped-query attention): use query-group',
    );
  if ((r.pruningFraction ?? 0) > 0 && kept === perGroup)
    throw new BadInputError(
      'recipe.pruningFraction',
      `removes no query head: ${r.pruningFraction} × ${perGroup} heads per group rounds down to 0 (at least ${(1 / perGroup).toFixed(4)} removes one)`,
    );
  return { keptGroups: G, keptPerGroup: kept };
}

/** Rows (or bias entries) of the heads `heads`, each `d` rows. */
const headRows = (heads: readonly number[], d: number) => heads.flatMap((h) => Array.from({ length: d }, (_, i) => h * d + i));

export const attention: PruningMethod<'attention', AttentionPlan> = {
  method: 'attention',
  relation: 'ATTENTION_PRUNED',
  needsCalibration: (r) => r.criterion === 'activation' || r.reconstruct === 'least-squares',

  async calibrate(dir, recipe, o) {
    const samples = samplesOf(recipe);
    // Both on the dense parent: the heads' outputs and o_proj's input are the same tap.
    const headScores = recipe.criterion === 'activation' ? await headActivations(dir, recipe.calibration!, samples, o) : undefined;
    if (recipe.reconstruct === 'least-squares') {
      const gramFiles = await downProjGrams(dir, recipe.calibration!, samples, o, 'o_proj');
      return { recipe: { ...recipe, samples, dampening: dampeningOf(recipe) }, headScores, gramFiles };
    }
    return { recipe: { ...recipe, samples }, headScores };
  },

  plan(ctx, recipe) {
    const { arch } = ctx;
    if (!READS_HEAD_DIM.has(arch.family))
      throw new BadInputError(
        'recipe.method',
        `attention pruning needs a family whose transformers attention reads head_dim from the config; ${arch.family} derives it from hidden_size / num_attention_heads`,
      );
    const { keptGroups, keptPerGroup } = keptHeads(arch, recipe);
    const heads = keptGroups * keptPerGroup;
    if (heads !== arch.numHeads) {
      // Written before the head counts: hidden_size / num_attention_heads no longer gives it.
      if (ctx.target.head_dim === undefined || ctx.target.head_dim === null) ctx.set('head_dim', arch.headDim);
      ctx.set('num_attention_heads', heads);
      // Without the field, transformers defaults it to num_attention_heads, which just changed.
      if (keptGroups !== arch.numKvHeads || ctx.target.num_key_value_heads === undefined) ctx.set('num_key_value_heads', keptGroups);
    }
    return { recipe, keptGroups, keptPerGroup, headDim: arch.headDim };
  },

  async outputs(ctx, plan) {
    const { ckpt, infos, layerRe, same, calibrated } = ctx;
    const { recipe } = plan;
    // The parent's shape: the plan's arch is the child's.
    const d = plan.headDim;
    const qName = infos.find((t) => /self_attn\.q_proj\.weight$/.test(t.name));
    const kName = infos.find((t) => /self_attn\.k_proj\.weight$/.test(t.name));
    const Hq = Number(qName?.shape[0]) / d;
    const G = Number(kName?.shape[0]) / d;
    const perGroup = Hq / G;
    const H = Number(qName?.shape[1]);
    if (plan.keptGroups === G && plan.keptPerGroup === perGroup) return { tensors: infos.map(same) };
    const keepQ = new Map<number, number[]>();
    const keepKv = new Map<number, number[]>();
    const layers = [...new Set(infos.flatMap((t) => (layerRe.exec(t.name) ? [Number(layerRe.exec(t.name)![1])] : [])))].sort(
      (a, b) => a - b,
    );
    for (const layer of layers) {
      ctx.signal?.throwIfAborted();
      const lp = layerPrefix({ ...plan.arch, prefix: ctx.prefix }, layer);
      // Per query head: Σ w² of its q rows and o columns (magnitude), or Minitron's F_head² (activation).
      let headSq: Float64Array;
      let groupExtraSq = new Float64Array(G);
      if (recipe.criterion === 'activation') {
        const scores = calibrated.headScores?.[layer];
        if (!scores)
          throw new BadInputError('recipe.criterion', `the activation criterion needs calibration scores (none for layer ${layer})`);
        headSq = scores.map((s) => s * s);
      } else {
        const q = ckpt.info(`${lp}self_attn.q_proj.weight`);
        const o = ckpt.info(`${lp}self_attn.o_proj.weight`);
        const qSq = rowBlockSq(await ckpt.readBytes(q.name), q.dtype, H, d);
        const oSq = columnBlockSq(await ckpt.readBytes(o.name), o.dtype, Hq * d, d);
        headSq = qSq.map((v, h) => v + oSq[h]!);
        if (recipe.unit === 'query-group') {
          const k = ckpt.info(`${lp}self_attn.k_proj.weight`);
          const v = ckpt.info(`${lp}self_attn.v_proj.weight`);
          const kSq = rowBlockSq(await ckpt.readBytes(k.name), k.dtype, H, d);
          const vSq = rowBlockSq(await ckpt.readBytes(v.name), v.dtype, H, d);
          groupExtraSq = kSq.map((x, g) => x + vSq[g]!);
        }
      }
      if (recipe.unit === 'query-group') {
        // A group's score: the L2 norm over everything it owns (its query heads, and for magnitude its k/v rows).
        const groupScores = new Float64Array(G).map((_, g) => {
          let s = groupExtraSq[g]!;
          for (let h = g * perGroup; h < (g + 1) * perGroup; h++) s += headSq[h]!;
          return Math.sqrt(s);
        });
        const groups = topK(groupScores, plan.keptGroups);
        keepKv.set(layer, groups);
        keepQ.set(
          layer,
          groups.flatMap((g) => Array.from({ length: perGroup }, (_, i) => g * perGroup + i)),
        );
      } else {
        keepKv.set(
          layer,
          Array.from({ length: G }, (_, g) => g),
        );
        keepQ.set(
          layer,
          Array.from({ length: G }, (_, g) => {
            const within = headSq.slice(g * perGroup, (g + 1) * perGroup).map(Math.sqrt);
            return topK(within, plan.keptPerGroup).map((i) => g * perGroup + i);
          }).flat(),
        );
      }
      ctx.report({ stage: 'scoring', progress: (0.1 * (layers.indexOf(layer) + 1)) / layers.length, detail: `layer ${layer}` });
    }
    const gramFiles = calibrated.gramFiles;
    const decisions: HeldOutDecision[] = [];
    const tensors = infos.map((t): Output => {
      const m = layerRe.exec(t.name);
      if (!m) return same(t);
      const layer = Number(m[1]);
      const q = keepQ.get(layer);
      const kv = keepKv.get(layer);
      if (!q || !kv) return same(t);
      const e = DTYPE_BYTES[t.dtype];
      const rest = m[2]!;
      const sliceRows = (heads: number[]): Output => {
        const rows = headRows(heads, d);
        const cols = t.shape.length === 2 ? t.shape[1]! : 1;
        return {
          ...same(t),
          shape: t.shape.length === 2 ? [rows.length, cols] : [rows.length],
          transform: (b) => takeRows(b, cols, e, rows),
        };
      };
      if (rest === 'self_attn.q_proj.weight' || rest === 'self_attn.q_proj.bias') return sliceRows(q);
      if (/^self_attn\.[kv]_proj\.(weight|bias)$/.test(rest)) return kv.length === G ? same(t) : sliceRows(kv);
      if (rest === 'self_attn.o_proj.weight') {
        const cols = headRows(q, d);
        const rows = t.shape[0]!;
        if (recipe.reconstruct !== 'least-squares')
          return { ...same(t), shape: [rows, cols.length], transform: (b) => takeColumns(b, rows, Hq * d, e, cols) };
        const files = gramFiles?.files[t.name];
        if (!files)
          throw new BadInputError('recipe.reconstruct', `the least-squares refit needs calibration (no Gram matrix for ${t.name})`);
        return {
          ...same(t),
          shape: [rows, cols.length],
          transform: async (b) => {
            const w = toFloat32(b, t.dtype);
            const fitted = refitDownProj(w, rows, Hq * d, cols, await readGram(files.fit), dampeningOf(recipe));
            const written = fromFloat32(Float32Array.from(fitted), t.dtype);
            // Kept only where it beats plain slicing on the held-out tokens, as written (in the dtype).
            const err = heldOutErrors(
              w,
              rows,
              Hq * d,
              cols,
              toFloat32(written, t.dtype),
              await readGram(files.heldOut),
              gramFiles!.heldOutTokens,
            );
            const decision = decide(layer, err.before, err.after);
            decisions.push(decision);
            return decision.applied ? written : takeColumns(b, rows, Hq * d, e, cols);
          },
        };
      }
      return same(t);
    });
    return {
      tensors,
      reconstruction: () => refitReport(gramFiles, decisions),
    };
  },

  result: (plan) => ({
    key_value_heads_per_layer: plan.keptGroups,
    attention_heads_per_layer: plan.keptGroups * plan.keptPerGroup,
  }),

  childNameSuffix(recipe) {
    const size =
      recipe.pruningFraction !== undefined
        ? `${recipe.unit === 'query-group' ? 'groups' : 'qheads'}${percentLabel(recipe.pruningFraction)}`
        : recipe.numAttentionHeads !== undefined
          ? `heads${recipe.numAttentionHeads}`
          : `kv${recipe.numKeyValueHeads}`;
    return `${size}-${recipe.criterion}${recipe.reconstruct === 'least-squares' ? '-ls' : ''}`;
  },

  hubTag: 'attention-head-pruning',

  card(recipe) {
    const unit = recipe.unit === 'query-head' ? 'query heads of every key/value group' : 'key/value groups (each with its query heads)';
    const ratio =
      recipe.pruningFraction !== undefined
        ? `${Number(recipe.pruningFraction) * 100} % of the ${unit} removed in every layer`
        : recipe.numAttentionHeads !== undefined
          ? `num_attention_heads → ${recipe.numAttentionHeads}`
          : `num_key_value_heads → ${recipe.numKeyValueHeads}`;
    const criterion =
      recipe.criterion === 'activation'
        ? `activation (Minitron, Muralidharan et al. 2024, §2.2: L2 norm of each head's attention output over ${samplesOf(recipe as { samples?: number })} calibration tokens, mean over each 256-token sequence, L2 over sequences)`
        : 'magnitude (L2 norm of the q/k/v_proj rows and o_proj columns each unit owns)';
    const refit =
      recipe.reconstruct === 'least-squares'
        ? `; o_proj refit by least squares on the kept heads over the first three quarters of ${samplesOf(recipe as { samples?: number })} calibration tokens (λ = ${dampeningOf(recipe as { dampening?: number })} of the mean diagonal), kept in a layer only where it lowers the error on the last quarter`
        : '';
    return {
      method: `attention head pruning (${recipe.unit === 'query-head' ? 'query heads' : 'query groups'})`,
      criterion: criterion + refit,
      ratio,
    };
  },

  limitations: [
    ONE_SHOT,
    '- head_dim is written to config.json explicitly: loading the child needs a transformers release whose attention reads config.head_dim.',
  ],

  summary: (plan) => [
    `keeps ${plan.keptGroups} key/value heads × ${plan.keptPerGroup} query heads per group = ${plan.keptGroups * plan.keptPerGroup} attention heads in every layer (head_dim ${plan.headDim})`,
  ],
};
