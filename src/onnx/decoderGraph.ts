// The decoder graph (src/onnx/export.ts): the embedding or a block's hidden_in, the RMSNorms and
// projections, the rotary tables, the attention (onnxruntime's fused GroupQueryAttention or the
// plain-operator reference), the blocks with their activation taps, and the LM head. Each part is
// its own function; buildDecoderGraph calls them in the order the graph's nodes are created, so
// the graph is the same node for node as when it was one function.
import { ropeInverseFrequencies } from '../arch/rope.js';
import { embeddingName, finalNormName, layerPrefix } from '../arch/tensors.js';
import type { ArchConfig } from '../arch/types.js';
import { FLOAT, type GraphBuilder, INT32, INT64, MS, valueInfo } from './graph.js';

/** A checkpoint tensor as a graph initializer (`plusOne`: Gemma's norm weights stored as w − 1). */
export type Weight = (name: string, plusOne?: boolean) => Promise<string>;

export interface DecoderGraphSpec {
  /** onnxruntime's fused operators (ExportOptions.graph `fused`), else plain ONNX. */
  fused: boolean;
  /** One block alone, its projections fed as inputs (ExportOptions.block). */
  block?: number;
  /** The head outputs to compute (logits, target_logprobs, greedy). */
  heads: ReadonlySet<string>;
  /** Activation taps as extra outputs (ExportOptions.activations). */
  activations: boolean;
}

/** What the parts share: the builder, the architecture, and the norms and projections every part uses. */
interface Parts {
  g: GraphBuilder;
  a: ArchConfig;
  W: Weight;
  has: (name: string) => boolean;
  fused: boolean;
  only: number | undefined;
  norm(x: string, name: string): Promise<string>;
  /** residual + addend, then RMSNorm of the sum: one SkipSimplifiedLayerNormalization when fused. */
  addNorm(residual: string, addend: string | null, name: string): Promise<{ sum: string; normed: string }>;
  linear(x: string, name: string): Promise<string>;
}

type Rope = { cos: string; sin: string };
type Attention = (h: string, p: string, sliding: boolean) => Promise<string>;

/** RMSNorm and the projections (a block graph takes its projections as inputs, listed in `fed`). */
function decoderParts(
  g: GraphBuilder,
  a: ArchConfig,
  W: Weight,
  has: (n: string) => boolean,
  spec: DecoderGraphSpec,
  fed: string[],
): Parts {
  const fused = spec.fused;
  const only = spec.block;
  const eps = g.floats([a.rmsNormEps], []);
  const axisLast = g.ints([-1]);
  const norm = async (x: string, name: string) => {
    const w = await W(name, a.normWeightOffset);
    if (fused) return g.op1('SimplifiedLayerNormalization', [x, w], { axis: -1, epsilon: { float: a.rmsNormEps } });
    const ms = g.op1('ReduceMean', [g.op1('Mul', [x, x]), axisLast], { keepdims: 1 });
    return g.op1('Mul', [g.op1('Mul', [x, g.op1('Reciprocal', [g.op1('Sqrt', [g.op1('Add', [ms, eps])])])]), w]);
  };
  const addNorm = async (residual: string, addend: string | null, name: string): Promise<{ sum: string; normed: string }> => {
    if (addend === null) return { sum: residual, normed: await norm(residual, name) };
    if (!fused) {
      const sum = g.op1('Add', [residual, addend]);
      return { sum, normed: await norm(sum, name) };
    }
    const [normed, , , sum] = g.op(
      'SkipSimplifiedLayerNormalization',
      [addend, residual, await W(name, a.normWeightOffset)],
      { epsilon: { float: a.rmsNormEps } },
      4,
      MS,
    );
    return { sum: sum!, normed: normed! };
  };
  const linear = async (x: string, name: string) => {
    const bias = name.replace(/\.weight$/, '.bias');
    // A block graph takes its projections as inputs (every linear of a block is one of them).
    if (only !== undefined) fed.push(name);
    const inputs = [x, only !== undefined ? name : await W(name)];
    if (has(bias)) inputs.push(await W(bias));
    return g.op1('Gemm', inputs, { transB: 1 });
  };
  return { g, a, W, has, fused, only, norm, addNorm, linear };
}

/**
 * Shapes and the residual stream's start: batch and seq from input_ids, the hidden state kept 2-D
 * [batch·seq, hidden]. (A block graph: from hidden_in [batch, seq, hidden], whose shape starts the same way.)
 */
async function inputStream({ g, a, W, only }: Parts) {
  const H = a.hiddenSize;
  const shape = g.op1('Shape', [only !== undefined ? 'hidden_in' : 'input_ids']);
  const seq = g.op1('Gather', [shape, g.ints([1], [])], { axis: 0 });
  const embedding = only !== undefined ? '' : await W(embeddingName(a));
  let x = g.op1('Reshape', [only !== undefined ? 'hidden_in' : g.op1('Gather', [embedding, 'input_ids'], { axis: 0 }), g.ints([-1, H])]);
  if (a.scaleEmbeddings && only === undefined) x = g.op1('Mul', [x, g.floats([Math.fround(Math.sqrt(H))], [])]);
  return { shape, seq, embedding, x };
}

/**
 * Rotary tables per theta (transformers' rotate_half layout): cos/sin [1, seq, 1, 1, head_dim]
 * for the plain-operator attention, GroupQueryAttention's caches [seq, head_dim / 2] for it.
 */
function rotary({ g, a }: Parts, seq: string, gqa: boolean) {
  const hd = a.headDim;
  const positions = g.op1('Cast', [g.op1('Range', [g.ints([0], []), seq, g.ints([1], [])])], { to: FLOAT });
  const rope = (theta: number, scaling: ArchConfig['ropeScaling']): Rope => {
    const inv = Float32Array.from(ropeInverseFrequencies(theta, hd, scaling));
    const freqs = g.op1('Mul', [g.op1('Unsqueeze', [positions, g.ints([1])]), g.floats(inv, [1, hd / 2])]);
    if (gqa) return { cos: g.op1('Cos', [freqs]), sin: g.op1('Sin', [freqs]) };
    const emb = g.op1('Concat', [freqs, freqs], { axis: -1 });
    const to5 = g.op1('Concat', [g.ints([1]), g.op1('Unsqueeze', [seq, g.ints([0])]), g.ints([1, 1, hd])], { axis: 0 });
    return { cos: g.op1('Reshape', [g.op1('Cos', [emb]), to5]), sin: g.op1('Reshape', [g.op1('Sin', [emb]), to5]) };
  };
  const global = rope(a.ropeTheta, a.ropeScaling);
  // Gemma-3's sliding layers use their own base and no scaling (transformers' rotary_emb_local).
  const local = a.ropeLocalTheta ? rope(a.ropeLocalTheta, null) : global;
  const half = hd / 2;
  const rotate = (t: string, r: Rope) => {
    const x1 = g.op1('Slice', [t, g.ints([0]), g.ints([half]), g.ints([-1])]);
    const x2 = g.op1('Slice', [t, g.ints([half]), g.ints([hd]), g.ints([-1])]);
    const rot = g.op1('Concat', [g.op1('Neg', [x2]), x1], { axis: -1 });
    return g.op1('Add', [g.op1('Mul', [t, r.cos]), g.op1('Mul', [rot, r.sin])]);
  };
  return { global, local, rotate };
}

/** onnxruntime's GroupQueryAttention with its rotary embedding, causal and sliding-window masks and soft-capping. */
function fusedAttention(
  parts: Parts,
  shape: string,
  seq: string,
  batchSeq: string,
  rope: ReturnType<typeof rotary>,
  scaleValue: number,
): Attention {
  const { g, a, norm, linear } = parts;
  const hd = a.headDim;
  // GroupQueryAttention reads a whole, unpadded batch: every row's key count is seq (seqlens_k = seq − 1).
  const seq32 = g.op1('Cast', [seq], { to: INT32 });
  const seqlensK = g.op1('Expand', [
    g.op1('Sub', [seq32, g.int32s([1], [])]),
    g.op1('Slice', [shape, g.ints([0]), g.ints([1]), g.ints([0])]),
  ]);
  const to3d = g.op1('Concat', [batchSeq, g.ints([-1])], { axis: 0 });
  return async (h, p, sliding) => {
    let q = await linear(h, `${p}self_attn.q_proj.weight`);
    let k = await linear(h, `${p}self_attn.k_proj.weight`);
    const v = await linear(h, `${p}self_attn.v_proj.weight`);
    if (a.qkNorm) {
      const perHead = g.ints([-1, hd]);
      q = g.op1('Reshape', [await norm(g.op1('Reshape', [q, perHead]), `${p}self_attn.q_norm.weight`), g.ints([-1, a.numHeads * hd])]);
      k = g.op1('Reshape', [await norm(g.op1('Reshape', [k, perHead]), `${p}self_attn.k_norm.weight`), g.ints([-1, a.numKvHeads * hd])]);
    }
    const r = sliding ? rope.local : rope.global;
    const attrs: Record<string, number | { float: number }> = {
      num_heads: a.numHeads,
      kv_num_heads: a.numKvHeads,
      scale: { float: scaleValue },
      do_rotary: 1,
      rotary_interleaved: 0,
    };
    // transformers' sliding mask (a query at i sees keys with i − j < window) is local_window_size =
    // window in onnxruntime's kernel, as the Gemma-2/3 fixtures' 16-token windows check.
    if (sliding) attrs.local_window_size = a.slidingWindow!;
    if (a.attnLogitSoftcapping) attrs.softcap = { float: a.attnLogitSoftcapping };
    const [out] = g.op(
      'GroupQueryAttention',
      [g.op1('Reshape', [q, to3d]), g.op1('Reshape', [k, to3d]), g.op1('Reshape', [v, to3d]), '', '', seqlensK, seq32, r.cos, r.sin],
      attrs,
      3,
      MS,
    );
    return g.op1('Reshape', [out!, g.ints([-1, a.numHeads * hd])]);
  };
}

/** The plain-operator attention: 5-D grouped heads, explicit causal and window masks. */
function referenceAttention(parts: Parts, seq: string, batchSeq: string, rope: ReturnType<typeof rotary>, scaleValue: number): Attention {
  const { g, a, norm, linear } = parts;
  const hd = a.headDim;
  const group = a.numHeads / a.numKvHeads;
  const idx = g.op1('Range', [g.ints([0], []), seq, g.ints([1], [])]);
  const diff = g.op1('Sub', [g.op1('Unsqueeze', [idx, g.ints([1])]), g.op1('Unsqueeze', [idx, g.ints([0])])]);
  const zero = g.floats([0], []);
  const negInf = g.floats([Number.NEGATIVE_INFINITY], []);
  const causalOk = g.op1('GreaterOrEqual', [diff, g.ints([0], [])]);
  const causal = g.op1('Where', [causalOk, zero, negInf]);
  const slidingMask = a.slidingWindow
    ? g.op1('Where', [g.op1('And', [causalOk, g.op1('Less', [diff, g.ints([a.slidingWindow], [])])]), zero, negInf])
    : causal;
  const shapeQ = g.op1('Concat', [batchSeq, g.ints([a.numKvHeads, group, hd])], { axis: 0 });
  const shapeKV = g.op1('Concat', [batchSeq, g.ints([a.numKvHeads, 1, hd])], { axis: 0 });
  const scale = g.floats([scaleValue], []);
  return async (h, p, sliding) => {
    let q = g.op1('Reshape', [await linear(h, `${p}self_attn.q_proj.weight`), shapeQ]);
    let k = g.op1('Reshape', [await linear(h, `${p}self_attn.k_proj.weight`), shapeKV]);
    const v = g.op1('Reshape', [await linear(h, `${p}self_attn.v_proj.weight`), shapeKV]);
    if (a.qkNorm) {
      q = await norm(q, `${p}self_attn.q_norm.weight`);
      k = await norm(k, `${p}self_attn.k_norm.weight`);
    }
    const r = sliding ? rope.local : rope.global;
    q = rope.rotate(q, r);
    k = rope.rotate(k, r);
    // [b, s, kv, g, d] → q [b, kv, g, s, d] · k [b, kv, 1, d, s] → scores [b, kv, g, s, s]
    let scores = g.op1('Mul', [
      g.op1('MatMul', [g.op1('Transpose', [q], { perm: [0, 2, 3, 1, 4] }), g.op1('Transpose', [k], { perm: [0, 2, 3, 4, 1] })]),
      scale,
    ]);
    if (a.attnLogitSoftcapping) {
      const cap = g.floats([a.attnLogitSoftcapping], []);
      scores = g.op1('Mul', [g.op1('Tanh', [g.op1('Div', [scores, cap])]), cap]);
    }
    const probs = g.op1('Softmax', [g.op1('Add', [scores, sliding ? slidingMask : causal])], { axis: -1 });
    const ctx = g.op1('MatMul', [probs, g.op1('Transpose', [v], { perm: [0, 2, 3, 1, 4] })]);
    return g.op1('Reshape', [g.op1('Transpose', [ctx], { perm: [0, 3, 1, 2, 4] }), g.ints([-1, a.numHeads * hd])]);
  };
}

/**
 * The decoder blocks (one with `block`), each tapping its activations through `tap`. Returns the
 * residual stream and `carry`, the last block's MLP output, added (and normalised) at the start
 * of the next block or by the final norm.
 */
async function blocks(parts: Parts, x0: string, attention: Attention, tap: (name: string, t: string) => void) {
  const { g, a, norm, addNorm, linear, only } = parts;
  const act = (t: string) =>
    a.hiddenAct.startsWith('gelu') ? g.op1('Gelu', [t], { approximate: 'tanh' }) : g.op1('Mul', [t, g.op1('Sigmoid', [t])]);
  const sandwich = a.layerNorms.length === 4;
  let x = x0;
  let carry: string | null = null;
  for (let l = only ?? 0; l < (only === undefined ? a.numLayers : only + 1); l++) {
    const p = layerPrefix(a, l);
    const sliding = a.layerTypes[l] === 'sliding_attention' && a.slidingWindow !== null;
    const start = await addNorm(x, carry, `${p}input_layernorm.weight`);
    x = start.sum;
    if (l > 0 && only === undefined) tap(`hidden_out_${l - 1}`, x);
    tap(`hidden_in_${l}`, x);
    const h = start.normed;
    tap(`attn_in_${l}`, h);
    const merged = await attention(h, p, sliding);
    tap(`o_in_${l}`, merged);
    let attn = await linear(merged, `${p}self_attn.o_proj.weight`);
    if (sandwich) attn = await norm(attn, `${p}post_attention_layernorm.weight`);
    const mid = await addNorm(x, attn, sandwich ? `${p}pre_feedforward_layernorm.weight` : `${p}post_attention_layernorm.weight`);
    x = mid.sum;
    const m = mid.normed;
    tap(`mlp_norm_${l}`, m);
    const inner = g.op1('Mul', [act(await linear(m, `${p}mlp.gate_proj.weight`)), await linear(m, `${p}mlp.up_proj.weight`)]);
    tap(`mlp_in_${l}`, inner);
    let mlp = await linear(inner, `${p}mlp.down_proj.weight`);
    if (sandwich) mlp = await norm(mlp, `${p}post_feedforward_layernorm.weight`);
    carry = mlp;
  }
  return { x, carry: carry! };
}

/** The LM head over the final hidden state: logits, the targets' log-probabilities, greedy ids (those asked for). */
async function head({ g, a, W, has }: Parts, final: string, embedding: string, batchSeq: string, heads: ReadonlySet<string>) {
  let logits2d = g.op1('Gemm', [final, a.tiedEmbeddings ? embedding : await W(a.lmHeadName)], { transB: 1 });
  if (has(a.lmHeadName.replace(/\.weight$/, '.bias')))
    logits2d = g.op1('Add', [logits2d, await W(a.lmHeadName.replace(/\.weight$/, '.bias'))]);
  if (a.finalLogitSoftcapping) {
    const cap = g.floats([a.finalLogitSoftcapping], []);
    logits2d = g.op1('Mul', [g.op1('Tanh', [g.op1('Div', [logits2d, cap])]), cap]);
  }
  const outputs = [];
  const toBatchSeq = (t: string, name: string) => g.named(name, 'Reshape', [t, batchSeq]);
  if (heads.has('logits')) {
    g.named('logits', 'Reshape', [logits2d, g.op1('Concat', [batchSeq, g.ints([a.vocabSize])], { axis: 0 })]);
    outputs.push(valueInfo('logits', FLOAT, ['batch', 'seq', a.vocabSize]));
  }
  if (heads.has('target_logprobs')) {
    // LogSoftmax, then the target's entry. (ReduceLogSumExp would not write the [batch·seq, vocab]
    // log-probabilities, but onnxruntime's CPU kernel is off by up to 6e-4 on the shared model's
    // logits, beyond what perplexity may move.)
    const targets = g.op1('Reshape', ['targets', g.ints([-1, 1])]);
    const logprobs = g.op1('LogSoftmax', [logits2d], { axis: -1 });
    toBatchSeq(g.op1('Reshape', [g.op1('GatherElements', [logprobs, targets], { axis: -1 }), g.ints([-1])]), 'target_logprobs');
    outputs.push(valueInfo('target_logprobs', FLOAT, ['batch', 'seq']));
  }
  if (heads.has('greedy')) {
    toBatchSeq(g.op1('ArgMax', [logits2d], { axis: -1, keepdims: 0 }), 'greedy');
    outputs.push(valueInfo('greedy', INT64, ['batch', 'seq']));
  }
  return outputs;
}

/** Builds the decoder graph into `g`; returns its outputs (head outputs, then activation taps). */
export async function buildDecoderGraph(
  g: GraphBuilder,
  a: ArchConfig,
  W: Weight,
  has: (n: string) => boolean,
  spec: DecoderGraphSpec,
  fed: string[],
) {
  const parts = decoderParts(g, a, W, has, spec, fed);
  const only = spec.block;
  const hd = a.headDim;
  const { shape, seq, embedding, x } = await inputStream(parts);
  // GroupQueryAttention's CPU kernel needs head_size % 16 == 0 (every published model has it);
  // other shapes keep the plain-operator attention inside the fused graph.
  const gqa = spec.fused && hd % 16 === 0;
  const rope = rotary(parts, seq, gqa);
  const batchSeq = g.op1('Slice', [shape, g.ints([0]), g.ints([2]), g.ints([0])]);
  const scaleValue = 1 / Math.sqrt(a.queryPreAttnScalar ?? hd);
  const attention = gqa
    ? fusedAttention(parts, shape, seq, batchSeq, rope, scaleValue)
    : referenceAttention(parts, seq, batchSeq, rope, scaleValue);

  const extra: string[] = [];
  const tap = (name: string, t: string) => {
    if (spec.activations || only !== undefined) extra.push(g.named(name, 'Identity', [t]));
  };
  const tapInfo = () =>
    extra.map((name) =>
      valueInfo(name, FLOAT, [
        'tokens',
        name.startsWith('mlp_in') ? a.intermediateSize : name.startsWith('o_in') ? a.numHeads * hd : a.hiddenSize,
      ]),
    );

  const end = await blocks(parts, x, attention, tap);
  if (only !== undefined) {
    // The same sum the next block's SkipSimplifiedLayerNormalization (or Add) forms.
    tap(`hidden_out_${only}`, g.op1('Add', [end.x, end.carry]));
    return tapInfo();
  }
  const last = await parts.addNorm(end.x, end.carry, finalNormName(a));
  tap(`hidden_out_${a.numLayers - 1}`, last.sum);
  // Calibration reads the activation taps only: no head at all.
  if (spec.fused && spec.heads.size === 0) return tapInfo();
  return [...(await head(parts, last.normed, embedding, batchSeq, spec.heads)), ...tapInfo()];
}
