// One Llama decoder block in Float64 with naive loops, after transformers' LlamaDecoderLayer
// (RMSNorm, rotate-half RoPE, causal softmax attention with grouped KV heads, SwiGLU MLP), for
// checking sequential calibration against a forward pass that shares no code with the graph or
// the engine. Llama only: no biases, q/k norms, sandwich norms or sliding windows.

import type { ArchConfig } from '../../src/arch/types.js';
import { linearEach } from './reference.js';

export interface LlamaDims {
  hidden: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  eps: number;
  theta: number;
}

/** A parsed config's block dimensions, as the reference forward pass takes them. */
export function llamaDims(arch: ArchConfig): LlamaDims {
  return {
    hidden: arch.hiddenSize,
    heads: arch.numHeads,
    kvHeads: arch.numKvHeads,
    intermediate: arch.intermediateSize,
    eps: arch.rmsNormEps,
    theta: arch.ropeTheta,
  };
}

/** The block's weights by short name: input_layernorm, post_attention_layernorm, q/k/v/o, gate/up/down. */
export type BlockWeights = Record<string, ArrayLike<number>>;

export interface BlockActivations {
  /** Inputs of q/k/v_proj, o_proj, gate/up_proj and down_proj, one row per token. */
  attnIn: Float64Array[];
  oIn: Float64Array[];
  mlpNorm: Float64Array[];
  mlpIn: Float64Array[];
  /** The residual stream leaving the block. */
  out: Float64Array[];
}

function rmsNorm(x: Float64Array, w: ArrayLike<number>, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * inv * w[i]!);
}

function rope(x: Float64Array, heads: number, dim: number, pos: number, theta: number): void {
  const half = dim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const angle = pos / theta ** ((2 * i) / dim);
      const [c, s] = [Math.cos(angle), Math.sin(angle)];
      const a = x[h * dim + i]!;
      const b = x[h * dim + i + half]!;
      x[h * dim + i] = a * c - b * s;
      x[h * dim + i + half] = b * c + a * s;
    }
  }
}

/** The block over one window of tokens (positions 0..n−1, causal attention within the window). */
export function llamaBlock(h: Float64Array[], w: BlockWeights, d: LlamaDims): BlockActivations {
  const hd = d.hidden / d.heads;
  const group = d.heads / d.kvHeads;
  const attnIn = h.map((x) => rmsNorm(x, w.input_layernorm!, d.eps));
  const q = linearEach(attnIn, w.q!, d.heads * hd);
  q.forEach((x, pos) => {
    rope(x, d.heads, hd, pos, d.theta);
  });
  const k = linearEach(attnIn, w.k!, d.kvHeads * hd);
  k.forEach((x, pos) => {
    rope(x, d.kvHeads, hd, pos, d.theta);
  });
  const v = linearEach(attnIn, w.v!, d.kvHeads * hd);
  const oIn = q.map((qi, i) => {
    const ctx = new Float64Array(d.heads * hd);
    for (let head = 0; head < d.heads; head++) {
      const kv = Math.floor(head / group);
      const scores = Array.from({ length: i + 1 }, (_, j) => {
        let s = 0;
        for (let e = 0; e < hd; e++) s += qi[head * hd + e]! * k[j]![kv * hd + e]!;
        return s / Math.sqrt(hd);
      });
      const m = Math.max(...scores);
      const p = scores.map((s) => Math.exp(s - m));
      const z = p.reduce((a, b) => a + b, 0);
      for (let j = 0; j <= i; j++) for (let e = 0; e < hd; e++) ctx[head * hd + e]! += (p[j]! / z) * v[j]![kv * hd + e]!;
    }
    return ctx;
  });
  const o = linearEach(oIn, w.o!, d.hidden);
  const mid = h.map((x, i) => x.map((value, e) => value + o[i]![e]!));
  const mlpNorm = mid.map((x) => rmsNorm(x, w.post_attention_layernorm!, d.eps));
  const gate = linearEach(mlpNorm, w.gate!, d.intermediate);
  const up = linearEach(mlpNorm, w.up!, d.intermediate);
  const mlpIn = gate.map((g, i) => g.map((value, j) => (value / (1 + Math.exp(-value))) * up[i]![j]!));
  const down = linearEach(mlpIn, w.down!, d.hidden);
  const out = mid.map((x, i) => x.map((value, e) => value + down[i]![e]!));
  return { attnIn, oIn, mlpNorm, mlpIn, out };
}
