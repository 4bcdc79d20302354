// Sequential calibration, as IST-DASLab/sparsegpt's llama.py `llama_sequential` and
// locuslab/wanda's lib/prune.py `prune_wanda` run it: the calibration tokens' hidden states enter
// block 0 from the embedding; then for each block l in turn,
//  1. block l, with its dense weights, is run over those hidden states and a method gathers its
//     projections' input statistics (the reference's forward hooks);
//  2. the method prunes block l's projections from them;
//  3. the same hidden states run through the pruned block l give block l+1's inputs (the
//     reference's second `outs[j] = layer(inps[j])`, then `inps, outs = outs, inps`).
// Each block runs as its own ONNX graph (ExportOptions.block) whose projections are required graph
// inputs, so the weights a run feeds are the weights it computes with. Memory: the calibration
// tokens' hidden states in FP32 (tokens × hidden, twice while a block runs), one block's
// projections and one window's activations.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { embeddingName, layerPrefix } from '../arch/tensors.js';
import type { ArchConfig } from '../arch/types.js';
import type { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { DTYPE_BYTES, toFloat32 } from '../formats/safetensors/dtypes.js';
import { exportOnnx } from '../onnx/export.js';
import { LmSession, type Outputs, type WeightFeeds } from '../onnx/session.js';
import type { CalibrationOptions } from './options.js';

/** Tokens per window: the calibration passes' attention span, as the whole-model passes use. */
export const WINDOW = 256;

/** Each projection of block l with the activation tap that is its input. */
export function projections(arch: ArchConfig, l: number): Array<{ name: string; tap: string }> {
  const p = layerPrefix(arch, l);
  return [
    ...['q', 'k', 'v'].map((x) => ({ name: `${p}self_attn.${x}_proj.weight`, tap: `attn_in_${l}` })),
    { name: `${p}self_attn.o_proj.weight`, tap: `o_in_${l}` },
    { name: `${p}mlp.gate_proj.weight`, tap: `mlp_norm_${l}` },
    { name: `${p}mlp.up_proj.weight`, tap: `mlp_norm_${l}` },
    { name: `${p}mlp.down_proj.weight`, tap: `mlp_in_${l}` },
  ];
}

/** What a method does with one block (steps 1 and 2 above). */
export interface BlockPass {
  /** The activation taps of the block that step 1 reads. */
  taps: readonly string[];
  /** Step 1, once per window of calibration tokens. */
  observe(out: Outputs): void;
  /** Step 2: the block's new projections (FP32 values of the checkpoint's dtype) by tensor name; others stay dense. */
  prune(): Promise<Map<string, Float32Array>>;
}

/**
 * The embedding rows of the calibration tokens, window by window ([tokens, hidden] FP32), as the
 * graph computes them (a Gather of the FP32 embedding, Gemma's √hidden scale rounded to FP32);
 * the embedding is streamed, so only the rows the tokens use are held.
 */
async function embed(ckpt: CheckpointTensors, arch: ArchConfig, windows: number[][]): Promise<Float32Array[]> {
  const name = embeddingName(arch);
  const { dtype } = ckpt.info(name);
  const H = arch.hiddenSize;
  const rowBytes = H * DTYPE_BYTES[dtype];
  const rows = new Map<number, Uint8Array>();
  for (const id of windows.flat()) rows.set(id, new Uint8Array(rowBytes));
  let offset = 0;
  for await (const chunk of ckpt.streamBytes(name, 4 << 20)) {
    const last = Math.floor((offset + chunk.length - 1) / rowBytes);
    for (let r = Math.floor(offset / rowBytes); r <= last; r++) {
      const row = rows.get(r);
      if (!row) continue;
      const from = Math.max(r * rowBytes, offset);
      const to = Math.min((r + 1) * rowBytes, offset + chunk.length);
      row.set(chunk.subarray(from - offset, to - offset), from - r * rowBytes);
    }
    offset += chunk.length;
  }
  const scale = arch.scaleEmbeddings ? Math.fround(Math.sqrt(H)) : 1;
  const values = new Map([...rows].map(([id, bytes]) => [id, toFloat32(bytes, dtype).map((v) => Math.fround(v * scale))]));
  return windows.map((ids) => {
    const out = new Float32Array(ids.length * H);
    ids.forEach((id, t) => {
      out.set(values.get(id)!, t * H);
    });
    return out;
  });
}

/**
 * Runs `step` for every block in order, each block's inputs coming from the already-pruned
 * blocks before it. Returns the hidden states leaving the last block (for tests and checks).
 */
export async function sequentialBlocks(
  ckpt: CheckpointTensors,
  arch: ArchConfig,
  tokens: readonly number[],
  o: CalibrationOptions & { tmp: string },
  stage: string,
  step: (l: number, dense: ReadonlyMap<string, Float32Array>) => BlockPass,
): Promise<Float32Array[]> {
  const windows: number[][] = [];
  for (let start = 0; start < tokens.length; start += WINDOW) windows.push(tokens.slice(start, start + WINDOW));
  let hidden = await embed(ckpt, arch, windows);
  const H = arch.hiddenSize;
  for (let l = 0; l < arch.numLayers; l++) {
    o.signal?.throwIfAborted();
    const graphDir = join(o.tmp, `block-${l}-graph`);
    const { modelPath } = await exportOnnx(ckpt.dir, graphDir, { block: l });
    const session = await LmSession.open(modelPath, { threads: o.threads });
    try {
      const dense = new Map<string, Float32Array>();
      for (const { name } of projections(arch, l)) dense.set(name, await ckpt.readFloat32(name));
      const feeds = (weights: ReadonlyMap<string, Float32Array>): WeightFeeds =>
        Object.fromEntries([...weights].map(([name, data]) => [name, { data, dims: ckpt.info(name).shape }]));
      const pass = step(l, dense);
      const denseFeeds = feeds(dense);
      for (const h of pass.taps.length ? hidden : []) {
        o.signal?.throwIfAborted();
        pass.observe(await session.runInputs({}, [...pass.taps], { ...denseFeeds, hidden_in: { data: h, dims: [1, h.length / H, H] } }));
      }
      const pruned = feeds(new Map([...dense, ...(await pass.prune())]));
      const next: Float32Array[] = [];
      for (const h of hidden) {
        o.signal?.throwIfAborted();
        const out = await session.runInputs({}, [`hidden_out_${l}`], { ...pruned, hidden_in: { data: h, dims: [1, h.length / H, H] } });
        next.push(out[`hidden_out_${l}`]!.data as Float32Array);
      }
      hidden = next;
    } finally {
      await session.release();
      await rm(graphDir, { recursive: true, force: true });
    }
    o.onProgress?.(stage, (l + 1) / arch.numLayers);
  }
  return hidden;
}
