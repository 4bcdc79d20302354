// An independent, plain TypeScript forward pass of a BERT-style encoder (naive loops, Float64
// accumulation), after transformers' modeling_bert.py: for checking the ONNX encoder graph. Tensor
// names are written out here; it shares only the safetensors reader with the code under test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointTensors } from '../../src/formats/checkpoint/tensors.js';
import { linear } from './reference.js';

type Vec = Float64Array;

function layerNorm(x: Vec, w: Float32Array, b: Float32Array, eps: number): Vec {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let variance = 0;
  for (const v of x) variance += (v - mean) ** 2;
  variance /= x.length;
  const inv = 1 / Math.sqrt(variance + eps);
  return x.map((v, i) => (v - mean) * inv * w[i]! + b[i]!);
}

/** erf by Abramowitz–Stegun 7.1.26 is too coarse (1.5e-7); this series/continued fraction is exact to ~1e-15. */
function erf(x: number): number {
  const t = Math.abs(x);
  if (t < 2.5) {
    // Maclaurin series: erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    let sum = 0;
    let term = t;
    for (let n = 0; n < 60; n++) {
      sum += term / (2 * n + 1);
      term *= (-t * t) / (n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for large |x|.
  let f = t;
  let C = t;
  let D = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    D = t + a * D;
    D = 1 / D;
    C = t + a / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-t * t) / (Math.sqrt(Math.PI) * f);
  return Math.sign(x) * (1 - erfc);
}

const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));

export interface EncoderOutputs {
  /** [batch][seq] hidden vectors. */
  hidden: Vec[][];
  pooledMean: Vec[];
  /** [batch][seq] logits over the vocabulary (masked-LM checkpoints). */
  mlmLogits?: Vec[][];
}

/** The encoder on a padded batch: ids [batch][seq], mask [batch][seq] (1 attended, 0 padding). */
export async function referenceEncoder(dir: string, ids: number[][], mask: number[][]): Promise<EncoderOutputs> {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number | string | string[]>;
  const ckpt = await CheckpointTensors.open(dir);
  try {
    const xlmr = config.model_type === 'xlm-roberta';
    const names = ckpt.names();
    const p = names.includes('embeddings.word_embeddings.weight') ? '' : xlmr ? 'roberta.' : 'bert.';
    const W = (n: string) => ckpt.readFloat32(n);
    const H = config.hidden_size as number;
    const I = config.intermediate_size as number;
    const heads = config.num_attention_heads as number;
    const hd = H / heads;
    const eps = (config.layer_norm_eps as number) ?? 1e-12;
    const V = config.vocab_size as number;
    const pad = (config.pad_token_id as number) ?? (xlmr ? 1 : 0);
    const words = await W(`${p}embeddings.word_embeddings.weight`);
    const positions = await W(`${p}embeddings.position_embeddings.weight`);
    const types = await W(`${p}embeddings.token_type_embeddings.weight`);
    const embLnW = await W(`${p}embeddings.LayerNorm.weight`);
    const embLnB = await W(`${p}embeddings.LayerNorm.bias`);
    const layers = [];
    for (let l = 0; l < (config.num_hidden_layers as number); l++) {
      const q = `${p}encoder.layer.${l}.`;
      layers.push({
        qw: await W(`${q}attention.self.query.weight`),
        qb: await W(`${q}attention.self.query.bias`),
        kw: await W(`${q}attention.self.key.weight`),
        kb: await W(`${q}attention.self.key.bias`),
        vw: await W(`${q}attention.self.value.weight`),
        vb: await W(`${q}attention.self.value.bias`),
        ow: await W(`${q}attention.output.dense.weight`),
        ob: await W(`${q}attention.output.dense.bias`),
        ln1w: await W(`${q}attention.output.LayerNorm.weight`),
        ln1b: await W(`${q}attention.output.LayerNorm.bias`),
        iw: await W(`${q}intermediate.dense.weight`),
        ib: await W(`${q}intermediate.dense.bias`),
        dw: await W(`${q}output.dense.weight`),
        db: await W(`${q}output.dense.bias`),
        ln2w: await W(`${q}output.LayerNorm.weight`),
        ln2b: await W(`${q}output.LayerNorm.bias`),
      });
    }
    const out: EncoderOutputs = { hidden: [], pooledMean: [] };
    const head = xlmr ? 'lm_head.' : 'cls.predictions.';
    const hasHead = names.includes(`${head}bias`);
    if (hasHead) out.mlmLogits = [];
    for (let b = 0; b < ids.length; b++) {
      const row = ids[b]!;
      const m = mask[b]!;
      let count = 0;
      let x: Vec[] = row.map((id, s) => {
        // XLM-R: positions count non-padding tokens from pad + 1; padding sits at pad.
        const pos = xlmr ? (id === pad ? pad : pad + 1 + count++) : s;
        const v = new Float64Array(H);
        for (let j = 0; j < H; j++) v[j] = words[id * H + j]! + positions[pos * H + j]! + types[j]!;
        return layerNorm(v, embLnW, embLnB, eps);
      });
      for (const L of layers) {
        const q = x.map((v) => linear(v, L.qw, H, L.qb));
        const k = x.map((v) => linear(v, L.kw, H, L.kb));
        const v = x.map((t) => linear(t, L.vw, H, L.vb));
        const ctx = x.map(() => new Float64Array(H));
        for (let h = 0; h < heads; h++) {
          for (let i = 0; i < row.length; i++) {
            const scores = row.map((_, j) => {
              if (!m[j]) return Number.NEGATIVE_INFINITY;
              let s = 0;
              for (let d = 0; d < hd; d++) s += q[i]![h * hd + d]! * k[j]![h * hd + d]!;
              return s / Math.sqrt(hd);
            });
            const max = Math.max(...scores);
            const e = scores.map((s) => Math.exp(s - max));
            const z = e.reduce((a, c) => a + c, 0);
            for (let j = 0; j < row.length; j++) {
              for (let d = 0; d < hd; d++) ctx[i]![h * hd + d]! += (e[j]! / z) * v[j]![h * hd + d]!;
            }
          }
        }
        x = x.map((res, i) => {
          const attn = linear(ctx[i]!, L.ow, H, L.ob);
          const a = layerNorm(
            attn.map((t, j) => t + res[j]!),
            L.ln1w,
            L.ln1b,
            eps,
          );
          const inner = linear(a, L.iw, I, L.ib).map(gelu);
          const o = linear(inner, L.dw, H, L.db);
          return layerNorm(
            o.map((t, j) => t + a[j]!),
            L.ln2w,
            L.ln2b,
            eps,
          );
        });
      }
      out.hidden.push(x);
      const pooled = new Float64Array(H);
      const n = m.reduce((a, c) => a + c, 0);
      x.forEach((v, s) => {
        if (m[s]) for (let j = 0; j < H; j++) pooled[j]! += v[j]! / n;
      });
      out.pooledMean.push(pooled);
      if (hasHead) {
        const dense = xlmr ? `${head}dense` : `${head}transform.dense`;
        const lnw = await W(xlmr ? `${head}layer_norm.weight` : `${head}transform.LayerNorm.weight`);
        const lnb = await W(xlmr ? `${head}layer_norm.bias` : `${head}transform.LayerNorm.bias`);
        const dw = await W(`${dense}.weight`);
        const db = await W(`${dense}.bias`);
        const bias = await W(`${head}bias`);
        const decoder = names.includes(`${head}decoder.weight`) ? await W(`${head}decoder.weight`) : words;
        out.mlmLogits!.push(x.map((v) => linear(layerNorm(linear(v, dw, H, db).map(gelu), lnw, lnb, eps), decoder, V, bias)));
      }
    }
    return out;
  } finally {
    await ckpt.close();
  }
}
