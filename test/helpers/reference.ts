// An independent, plain TypeScript forward pass (naive loops, Float64 accumulation) for checking
// logits in tests. It follows transformers' modeling code for each family; it shares nothing with
// the pruning engine but the safetensors reader and the config parser.
import { join } from 'node:path';
import { alignPrefix, parseArchitecture } from '../../src/arch/registry.js';
import { embeddingName, finalNormName, layerPrefix } from '../../src/arch/tensors.js';
import type { ArchConfig } from '../../src/arch/types.js';
import { readCheckpointFolder } from '../../src/formats/checkpoint/folder.js';
import { CheckpointTensors } from '../../src/formats/checkpoint/tensors.js';

type Vec = Float64Array;

function rmsNorm(x: Vec, w: Float32Array, eps: number, offset: boolean): Vec {
  let ss = 0;
  for (const v of x) ss += v * v;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * inv * (offset ? 1 + w[i]! : w[i]!));
}

/** y = W x (+ b), W stored [out, in]; in float64, as both reference forward passes compute. */
export function linear(x: Vec, w: ArrayLike<number>, out: number, bias?: Float32Array): Vec {
  const n = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = bias ? bias[o]! : 0;
    for (let i = 0, base = o * n; i < n; i++) s += w[base + i]! * x[i]!;
    y[o] = s;
  }
  return y;
}

/**
 * linear(x, w, out) for every x of `xs`, each output summed in the same order and so the same
 * bits: four positions at a time share each weight's load and convert, and their four sums do not
 * wait on each other (a Gemma fixture's forward pass, most of it the 262,144-token head: 1.05 → 0.65 CPU-s).
 */
export function linearEach(xs: Vec[], w: ArrayLike<number>, out: number, bias?: Float32Array): Vec[] {
  const n = xs[0]?.length ?? 0;
  const ys: Vec[] = xs.map(() => new Float64Array(out));
  let p = 0;
  for (; p + 3 < xs.length; p += 4) {
    const [x0, x1, x2, x3] = [xs[p]!, xs[p + 1]!, xs[p + 2]!, xs[p + 3]!];
    const [y0, y1, y2, y3] = [ys[p]!, ys[p + 1]!, ys[p + 2]!, ys[p + 3]!];
    for (let o = 0; o < out; o++) {
      const b = bias ? bias[o]! : 0;
      let s0 = b;
      let s1 = b;
      let s2 = b;
      let s3 = b;
      for (let i = 0, base = o * n; i < n; i++) {
        const v = w[base + i]!;
        s0 += v * x0[i]!;
        s1 += v * x1[i]!;
        s2 += v * x2[i]!;
        s3 += v * x3[i]!;
      }
      y0[o] = s0;
      y1[o] = s1;
      y2[o] = s2;
      y3[o] = s3;
    }
  }
  for (; p < xs.length; p++) ys[p] = linear(xs[p]!, w, out, bias);
  return ys;
}

const silu = (v: number) => v / (1 + Math.exp(-v));
const geluTanh = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));

function rope(x: Vec, heads: number, dim: number, pos: number, theta: number): void {
  const half = dim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const freq = pos / theta ** ((2 * i) / dim);
      const c = Math.cos(freq);
      const s = Math.sin(freq);
      const a = x[h * dim + i]!;
      const b = x[h * dim + i + half]!;
      x[h * dim + i] = a * c - b * s;
      x[h * dim + i + half] = b * c + a * s;
    }
  }
}

export async function referenceLogits(dir: string, ids: number[]): Promise<Float64Array[]> {
  const folder = await readCheckpointFolder(dir);
  const ckpt = await CheckpointTensors.open(dir);
  try {
    const cfg: ArchConfig = alignPrefix(parseArchitecture(folder.config, join(dir, 'config.json')), ckpt.names());
    const W = (name: string) => ckpt.readFloat32(name);
    const opt = async (name: string) => (ckpt.has(name) ? W(name) : undefined);
    const H = cfg.hiddenSize;
    const hd = cfg.headDim;
    const nq = cfg.numHeads;
    const nkv = cfg.numKvHeads;
    const I = cfg.intermediateSize;
    const emb = await W(embeddingName(cfg));
    const act = cfg.hiddenAct.startsWith('gelu') ? geluTanh : silu;
    // Gemma scales embeddings by sqrt(hidden) rounded to the weights' dtype (bf16 here).
    const scale = cfg.scaleEmbeddings ? Math.fround(Math.sqrt(H)) : 1;
    let h: Vec[] = ids.map((id) => Float64Array.from(emb.subarray(id * H, (id + 1) * H), (v) => v * scale));
    for (let l = 0; l < cfg.numLayers; l++) {
      const p = layerPrefix(cfg, l);
      const [wq, wk, wv, wo] = await Promise.all(['q', 'k', 'v', 'o'].map((x) => W(`${p}self_attn.${x}_proj.weight`)));
      const [bq, bk, bv, bo] = await Promise.all(['q', 'k', 'v', 'o'].map((x) => opt(`${p}self_attn.${x}_proj.bias`)));
      const qn = await opt(`${p}self_attn.q_norm.weight`);
      const kn = await opt(`${p}self_attn.k_norm.weight`);
      const sliding = cfg.layerTypes[l] === 'sliding_attention' && cfg.slidingWindow ? cfg.slidingWindow : Number.POSITIVE_INFINITY;
      const theta = sliding !== Number.POSITIVE_INFINITY && cfg.ropeLocalTheta ? cfg.ropeLocalTheta : cfg.ropeTheta;
      const inNorm = await W(`${p}input_layernorm.weight`);
      const qs: Vec[] = [];
      const ks: Vec[] = [];
      const vs: Vec[] = [];
      const normed = h.map((x) => rmsNorm(x, inNorm, cfg.rmsNormEps, cfg.normWeightOffset));
      const [allQ, allK, allV] = [
        linearEach(normed, wq!, nq * hd, bq),
        linearEach(normed, wk!, nkv * hd, bk),
        linearEach(normed, wv!, nkv * hd, bv),
      ];
      h.forEach((_, pos) => {
        const [q, k, v] = [allQ[pos]!, allK[pos]!, allV[pos]!];
        if (qn && kn) {
          for (let i = 0; i < nq; i++) q.set(rmsNorm(q.subarray(i * hd, (i + 1) * hd), qn, cfg.rmsNormEps, cfg.normWeightOffset), i * hd);
          for (let i = 0; i < nkv; i++) k.set(rmsNorm(k.subarray(i * hd, (i + 1) * hd), kn, cfg.rmsNormEps, cfg.normWeightOffset), i * hd);
        }
        rope(q, nq, hd, pos, theta);
        rope(k, nkv, hd, pos, theta);
        qs.push(q);
        ks.push(k);
        vs.push(v);
      });
      // transformers: GemmaAttention scales by head_dim^-0.5 whatever the config says;
      // Gemma2Attention and Gemma3Attention by query_pre_attn_scalar^-0.5. Read from the raw config.
      const raw = folder.config;
      const rawScalar = (raw.text_config as Record<string, unknown> | undefined)?.query_pre_attn_scalar ?? raw.query_pre_attn_scalar;
      const scaleQ = 1 / Math.sqrt(cfg.family !== 'gemma' && typeof rawScalar === 'number' ? rawScalar : hd);
      const heads = h.map((_, i) => {
        const out = new Float64Array(nq * hd);
        for (let head = 0; head < nq; head++) {
          const kvh = Math.floor(head / (nq / nkv));
          const scores: number[] = [];
          for (let j = 0; j <= i; j++) {
            if (i - j >= sliding) {
              scores.push(Number.NEGATIVE_INFINITY);
              continue;
            }
            let s = 0;
            for (let d = 0; d < hd; d++) s += qs[i]![head * hd + d]! * ks[j]![kvh * hd + d]!;
            s *= scaleQ;
            if (cfg.attnLogitSoftcapping) s = Math.tanh(s / cfg.attnLogitSoftcapping) * cfg.attnLogitSoftcapping;
            scores.push(s);
          }
          const m = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - m));
          const z = e.reduce((a, b) => a + b, 0);
          for (let j = 0; j <= i; j++) for (let d = 0; d < hd; d++) out[head * hd + d]! += (e[j]! / z) * vs[j]![kvh * hd + d]!;
        }
        return out;
      });
      const attnOut = linearEach(heads, wo!, H, bo);
      const sandwich = cfg.layerNorms.length === 4;
      const postAttn = await W(`${p}post_attention_layernorm.weight`);
      const [gate, up, down] = await Promise.all(['gate', 'up', 'down'].map((x) => W(`${p}mlp.${x}_proj.weight`)));
      const [bg, bu, bd] = await Promise.all(['gate', 'up', 'down'].map((x) => opt(`${p}mlp.${x}_proj.bias`)));
      const preFf = sandwich ? await W(`${p}pre_feedforward_layernorm.weight`) : undefined;
      const postFf = sandwich ? await W(`${p}post_feedforward_layernorm.weight`) : undefined;
      const residual = h.map((x, i) => {
        const a = sandwich ? rmsNorm(attnOut[i]!, postAttn, cfg.rmsNormEps, cfg.normWeightOffset) : attnOut[i]!;
        return x.map((v, d) => v + a[d]!);
      });
      const mlpIn = residual.map((r) => rmsNorm(r, sandwich ? preFf! : postAttn, cfg.rmsNormEps, cfg.normWeightOffset));
      const g = linearEach(mlpIn, gate!, I, bg);
      const u = linearEach(mlpIn, up!, I, bu);
      const m = linearEach(
        g.map((gi, i) => gi.map((v, j) => act(v) * u[i]![j]!)),
        down!,
        H,
        bd,
      );
      h = residual.map((r, i) => {
        const f = sandwich ? rmsNorm(m[i]!, postFf!, cfg.rmsNormEps, cfg.normWeightOffset) : m[i]!;
        return r.map((v, d) => v + f[d]!);
      });
    }
    const finalNorm = await W(finalNormName(cfg));
    const head = cfg.tiedEmbeddings ? emb : await W(cfg.lmHeadName);
    const normed = h.map((x) => rmsNorm(x, finalNorm, cfg.rmsNormEps, cfg.normWeightOffset));
    return linearEach(normed, head, cfg.vocabSize).map((logits) => {
      const cap = cfg.finalLogitSoftcapping;
      return cap ? logits.map((v) => Math.tanh(v / cap) * cap) : logits;
    });
  } finally {
    await ckpt.close();
  }
}
