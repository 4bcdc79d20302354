// Checkpoint folder → ONNX graph (opset 20), built op by op after transformers' modeling code for
// each family, with FP32 compute: BF16/F16 weights are converted to FP32 into an external data
// file, one tensor at a time. Linear layers are Gemm with transB=1 on the weights as stored
// ([out, in]), so nothing is transposed and a tied head reuses the embedding matrix.
//
// Inputs:  input_ids int64 [batch, seq]; targets int64 [batch, seq] (the next token at each position),
//          only when target_logprobs is computed
// Outputs: logits [batch, seq, vocab]; target_logprobs [batch, seq]; greedy int64 [batch, seq]
//          (those named in `outputs`, all three by default)
//          with `activations`, per block L ([batch·seq, features]): hidden_in_L / hidden_out_L (the
//          residual stream around the block), attn_in_L (input of q/k/v_proj), o_in_L (input of
//          o_proj), mlp_norm_L (input of gate/up_proj) and mlp_in_L (input of down_proj).
// With `block: L`, the graph of decoder block L alone (see ExportOptions.block).

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../arch/registry.js';
import { ropeInverseFrequencies } from '../arch/rope.js';
import { embeddingName, finalNormName, layerPrefix } from '../arch/tensors.js';
import type { ArchConfig } from '../arch/types.js';
import { BadInputError } from '../errors.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { toFloat32 } from '../formats/safetensors/dtypes.js';
import { buildEncoderGraph, ENCODER_INPUTS } from './encoderGraph.js';
import { FLOAT, GraphBuilder, INT32, INT64, onnx, valueInfo } from './graph.js';

/** onnxruntime's contrib operator domain (docs/ContribOperators.md). */
const MS = 'com.microsoft';

// 4: a graph without target_logprobs has no `targets` input (transformers.js refuses a graph
// with an input it does not feed), so the portable graph's cached copies are made again.
export const EXPORT_VERSION = 4;
export const DATA_FILE = 'model.onnx_data';

export interface ExportOptions {
  /** Extra outputs for calibration: block inputs/outputs and down_proj inputs. */
  activations?: boolean;
  /**
   * Decoder block L alone, for sequential calibration (IST-DASLab/sparsegpt's llama_sequential runs
   * one layer at a time over the stored inputs): input `hidden_in` float [batch, seq, hidden] (the
   * residual stream entering the block) and the block's projections (q/k/v/o, gate/up/down) as
   * required graph inputs, not initializers, so every run must feed them (onnxruntime-node feeds
   * only the names in inputNames: an overridable initializer's value would be dropped without a
   * word); outputs the block's taps and hidden_out_L. No embedding, no head.
   */
  block?: number;
  /**
   * Which head outputs the graph computes (default all three). onnxruntime runs every node that
   * feeds a graph output whatever a run fetches, so a task's graph holds only what it reads:
   * perplexity needs target_logprobs alone, not the [batch, seq, vocab] logits.
   */
  outputs?: readonly HeadOutput[];
  /**
   * `fused` (default): onnxruntime's fused CPU operators — SimplifiedLayerNormalization,
   * SkipSimplifiedLayerNormalization (residual add + RMSNorm), GroupQueryAttention with its rotary
   * embedding, causal and sliding-window masking and soft-capping. `reference`: the graph of plain ONNX operators, op for op after
   * transformers (kept for the benchmark's side-by-side baseline and as a cross-check).
   */
  graph?: 'fused' | 'reference';
}

export const HEAD_OUTPUTS = ['logits', 'target_logprobs', 'greedy'] as const;
export type HeadOutput = (typeof HEAD_OUTPUTS)[number];

export interface ExportResult {
  modelPath: string;
  arch: ArchConfig;
  weightBytes: number;
}

/** Writes `outDir/model.onnx` and `outDir/model.onnx_data` (atomically: a temp folder, then a rename). */
export async function exportOnnx(checkpointDir: string, outDir: string, options: ExportOptions = {}): Promise<ExportResult> {
  const folder = await readCheckpointFolder(checkpointDir);
  const ckpt = await CheckpointTensors.open(checkpointDir);
  const tmp = join(dirname(outDir), `.${basename(outDir)}.partial-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    const arch = alignPrefix(parseArchitecture(folder.config, join(checkpointDir, 'config.json')), ckpt.names());
    const data = createWriteStream(join(tmp, DATA_FILE));
    let offset = 0;
    const g = new GraphBuilder(DATA_FILE);
    const written = new Map<string, string>();
    /** A checkpoint tensor as an FP32 initializer (`plusOne` folds Gemma's (1 + w) norms). */
    const weight = async (name: string, plusOne = false): Promise<string> => {
      const key = `${name}${plusOne ? '+1' : ''}`;
      const have = written.get(key);
      if (have) return have;
      // Converted chunk by chunk: an FP32 tensor may exceed what one Node buffer holds (2 GiB;
      // Gemma-2-2B's embedding is 2.36 GB in FP32), and memory stays near the chunk size.
      const { dtype, shape } = ckpt.info(name);
      let length = 0;
      for await (const chunk of ckpt.streamBytes(name, 4 << 20)) {
        // A new array each time: the write stream holds it until flushed, and the chunk is reused.
        const values = toFloat32(chunk, dtype);
        if (plusOne) for (let i = 0; i < values.length; i++) values[i] = values[i]! + 1;
        if (!data.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))) await once(data, 'drain');
        length += values.byteLength;
      }
      const init = g.external({ name: key, dims: shape, offset, length });
      offset += length;
      written.set(key, init);
      return init;
    };
    if (arch.kind === 'encoder-decoder') {
      throw new BadInputError(
        'model',
        `${arch.family} is an encoder-decoder; Bonsai builds ONNX graphs for decoders and BERT-style encoders only`,
      );
    }
    const encoder = arch.kind === 'encoder';
    const block = options.block;
    if (block !== undefined && (encoder || !Number.isInteger(block) || block < 0 || block >= arch.numLayers))
      throw new Error(`block ${block}: not a decoder block of this ${arch.numLayers}-layer ${arch.family} checkpoint`);
    /** The weights a block graph takes as inputs (ExportOptions.block). */
    const fed: string[] = [];
    const outputs = encoder
      ? await buildEncoderGraph(g, arch, weight)
      : await buildGraph(g, arch, weight, (n) => ckpt.has(n), options, fed);
    data.end();
    await once(data, 'finish');
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'bonsai',
      producerVersion: String(EXPORT_VERSION),
      // The portable graph is plain ONNX; only the fused one uses onnxruntime's contrib domain.
      opsetImport: [{ domain: '', version: 20 }, ...(options.graph === 'reference' ? [] : [{ domain: MS, version: 1 }])],
      graph: {
        name: arch.modelType,
        node: g.nodes,
        initializer: g.initializers,
        input: encoder
          ? ENCODER_INPUTS
          : block !== undefined
            ? [valueInfo('hidden_in', FLOAT, ['batch', 'seq', arch.hiddenSize]), ...fed.map((n) => valueInfo(n, FLOAT, ckpt.info(n).shape))]
            : decoderInputs(options.outputs ?? HEAD_OUTPUTS),
        output: outputs,
      },
    });
    await writeFile(join(tmp, 'model.onnx'), onnx.ModelProto.encode(model).finish());
    await rm(outDir, { recursive: true, force: true });
    await rename(tmp, outDir);
    return { modelPath: join(outDir, 'model.onnx'), arch, weightBytes: offset };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    await ckpt.close();
  }
}

type Weight = (name: string, plusOne?: boolean) => Promise<string>;

/** input_ids, and the targets only a graph computing target_logprobs reads. */
const decoderInputs = (heads: readonly HeadOutput[]) => [
  valueInfo('input_ids', INT64, ['batch', 'seq']),
  ...(heads.includes('target_logprobs') ? [valueInfo('targets', INT64, ['batch', 'seq'])] : []),
];

async function buildGraph(g: GraphBuilder, a: ArchConfig, W: Weight, has: (n: string) => boolean, options: ExportOptions, fed: string[]) {
  const fused = options.graph !== 'reference';
  const only = options.block;
  const heads = new Set(options.outputs ?? HEAD_OUTPUTS);
  const H = a.hiddenSize;
  const hd = a.headDim;
  const group = a.numHeads / a.numKvHeads;
  const eps = g.floats([a.rmsNormEps], []);
  const axisLast = g.ints([-1]);
  const norm = async (x: string, name: string) => {
    const w = await W(name, a.normWeightOffset);
    if (fused) return g.op1('SimplifiedLayerNormalization', [x, w], { axis: -1, epsilon: { float: a.rmsNormEps } });
    const ms = g.op1('ReduceMean', [g.op1('Mul', [x, x]), axisLast], { keepdims: 1 });
    return g.op1('Mul', [g.op1('Mul', [x, g.op1('Reciprocal', [g.op1('Sqrt', [g.op1('Add', [ms, eps])])])]), w]);
  };
  /** residual + addend, then RMSNorm of the sum: one SkipSimplifiedLayerNormalization when fused. */
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

  // Shapes: batch and seq from input_ids; the hidden state is kept 2-D [batch·seq, hidden].
  // (A block graph: from hidden_in [batch, seq, hidden], whose shape starts the same way.)
  const shape = g.op1('Shape', [only !== undefined ? 'hidden_in' : 'input_ids']);
  const seq = g.op1('Gather', [shape, g.ints([1], [])], { axis: 0 });
  const embedding = only !== undefined ? '' : await W(embeddingName(a));
  let x = g.op1('Reshape', [only !== undefined ? 'hidden_in' : g.op1('Gather', [embedding, 'input_ids'], { axis: 0 }), g.ints([-1, H])]);
  if (a.scaleEmbeddings && only === undefined) x = g.op1('Mul', [x, g.floats([Math.fround(Math.sqrt(H))], [])]);

  // Rotary tables per theta (transformers' rotate_half layout): cos/sin [1, seq, 1, 1, head_dim]
  // for the plain-operator attention, GroupQueryAttention's caches [seq, head_dim / 2] for it.
  const positions = g.op1('Cast', [g.op1('Range', [g.ints([0], []), seq, g.ints([1], [])])], { to: FLOAT });
  // GroupQueryAttention's CPU kernel needs head_size % 16 == 0 (every published model has it);
  // other shapes keep the plain-operator attention inside the fused graph.
  const gqa = fused && hd % 16 === 0;
  const rope = (theta: number, scaling: ArchConfig['ropeScaling']) => {
    const inv = Float32Array.from(ropeInverseFrequencies(theta, hd, scaling));
    const freqs = g.op1('Mul', [g.op1('Unsqueeze', [positions, g.ints([1])]), g.floats(inv, [1, hd / 2])]);
    if (gqa) return { cos: g.op1('Cos', [freqs]), sin: g.op1('Sin', [freqs]) };
    const emb = g.op1('Concat', [freqs, freqs], { axis: -1 });
    const to5 = g.op1('Concat', [g.ints([1]), g.op1('Unsqueeze', [seq, g.ints([0])]), g.ints([1, 1, hd])], { axis: 0 });
    return { cos: g.op1('Reshape', [g.op1('Cos', [emb]), to5]), sin: g.op1('Reshape', [g.op1('Sin', [emb]), to5]) };
  };
  const ropeGlobal = rope(a.ropeTheta, a.ropeScaling);
  // Gemma-3's sliding layers use their own base and no scaling (transformers' rotary_emb_local).
  const ropeLocal = a.ropeLocalTheta ? rope(a.ropeLocalTheta, null) : ropeGlobal;
  const half = hd / 2;
  const rotate = (t: string, r: { cos: string; sin: string }) => {
    const x1 = g.op1('Slice', [t, g.ints([0]), g.ints([half]), g.ints([-1])]);
    const x2 = g.op1('Slice', [t, g.ints([half]), g.ints([hd]), g.ints([-1])]);
    const rot = g.op1('Concat', [g.op1('Neg', [x2]), x1], { axis: -1 });
    return g.op1('Add', [g.op1('Mul', [t, r.cos]), g.op1('Mul', [rot, r.sin])]);
  };

  const batchSeq = g.op1('Slice', [shape, g.ints([0]), g.ints([2]), g.ints([0])]);
  const scaleValue = 1 / Math.sqrt(a.queryPreAttnScalar ?? hd);
  // GroupQueryAttention reads a whole, unpadded batch: every row's key count is seq (seqlens_k = seq − 1).
  const seq32 = gqa ? g.op1('Cast', [seq], { to: INT32 }) : '';
  const seqlensK = gqa
    ? g.op1('Expand', [g.op1('Sub', [seq32, g.int32s([1], [])]), g.op1('Slice', [shape, g.ints([0]), g.ints([1]), g.ints([0])])])
    : '';
  const to3d = g.op1('Concat', [batchSeq, g.ints([-1])], { axis: 0 });
  const attention = gqa
    ? async (h: string, p: string, sliding: boolean) => {
        let q = await linear(h, `${p}self_attn.q_proj.weight`);
        let k = await linear(h, `${p}self_attn.k_proj.weight`);
        const v = await linear(h, `${p}self_attn.v_proj.weight`);
        if (a.qkNorm) {
          const perHead = g.ints([-1, hd]);
          q = g.op1('Reshape', [await norm(g.op1('Reshape', [q, perHead]), `${p}self_attn.q_norm.weight`), g.ints([-1, a.numHeads * hd])]);
          k = g.op1('Reshape', [
            await norm(g.op1('Reshape', [k, perHead]), `${p}self_attn.k_norm.weight`),
            g.ints([-1, a.numKvHeads * hd]),
          ]);
        }
        const r = sliding ? ropeLocal : ropeGlobal;
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
      }
    : await referenceAttention();

  /** The plain-operator attention: 5-D grouped heads, explicit causal and window masks. */
  async function referenceAttention() {
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
    return async (h: string, p: string, sliding: boolean) => {
      let q = g.op1('Reshape', [await linear(h, `${p}self_attn.q_proj.weight`), shapeQ]);
      let k = g.op1('Reshape', [await linear(h, `${p}self_attn.k_proj.weight`), shapeKV]);
      const v = g.op1('Reshape', [await linear(h, `${p}self_attn.v_proj.weight`), shapeKV]);
      if (a.qkNorm) {
        q = await norm(q, `${p}self_attn.q_norm.weight`);
        k = await norm(k, `${p}self_attn.k_norm.weight`);
      }
      const r = sliding ? ropeLocal : ropeGlobal;
      q = rotate(q, r);
      k = rotate(k, r);
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

  const act = (t: string) =>
    a.hiddenAct.startsWith('gelu') ? g.op1('Gelu', [t], { approximate: 'tanh' }) : g.op1('Mul', [t, g.op1('Sigmoid', [t])]);
  const sandwich = a.layerNorms.length === 4;
  const extra: string[] = [];
  const tap = (name: string, t: string) => {
    if (options.activations || only !== undefined) extra.push(g.named(name, 'Identity', [t]));
  };

  const tapInfo = () =>
    extra.map((name) =>
      valueInfo(name, FLOAT, ['tokens', name.startsWith('mlp_in') ? a.intermediateSize : name.startsWith('o_in') ? a.numHeads * hd : H]),
    );

  // The residual stream: `carry` is the last block's MLP output, added (and normalised) at the
  // start of the next block or by the final norm.
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
  if (only !== undefined) {
    // The same sum the next block's SkipSimplifiedLayerNormalization (or Add) forms.
    tap(`hidden_out_${only}`, g.op1('Add', [x, carry!]));
    return tapInfo();
  }
  const end = await addNorm(x, carry, finalNormName(a));
  tap(`hidden_out_${a.numLayers - 1}`, end.sum);
  const final = end.normed;
  if (fused && heads.size === 0) {
    // Calibration reads the activation taps only: no head at all.
    return tapInfo();
  }
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
  return [...outputs, ...tapInfo()];
}
