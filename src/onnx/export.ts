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
import type { ArchConfig } from '../arch/types.js';
import { BadInputError } from '../errors.js';
import { readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { toFloat32 } from '../formats/safetensors/dtypes.js';
import { buildDecoderGraph } from './decoderGraph.js';
import { buildEncoderGraph, ENCODER_INPUTS } from './encoderGraph.js';
import { FLOAT, GraphBuilder, INT64, MS, onnx, valueInfo } from './graph.js';

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
      : await buildDecoderGraph(
          g,
          arch,
          weight,
          (n) => ckpt.has(n),
          {
            fused: options.graph !== 'reference',
            block: options.block,
            heads: new Set(options.outputs ?? HEAD_OUTPUTS),
            activations: options.activations === true,
          },
          fed,
        );
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

/** input_ids, and the targets only a graph computing target_logprobs reads. */
const decoderInputs = (heads: readonly HeadOutput[]) => [
  valueInfo('input_ids', INT64, ['batch', 'seq']),
  ...(heads.includes('target_logprobs') ? [valueInfo('targets', INT64, ['batch', 'seq'])] : []),
];
