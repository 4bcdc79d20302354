// Hardware requirements from the architecture alone (after accelerate's
// estimate-memory and vLLM): weights = parameters × bytes per dtype; KV cache =
// 2 × layers × kv_heads × head_dim × context × batch × bytes, where a sliding-window layer holds
// min(context, window) positions; runtime overhead 20 % of the weights; a GPU is used up to 90 %.
// "layers" are the attention caches the architecture keeps (ArchConfig.layerTypes): one per
// decoder block; none for an encoder; self- and cross-attention per decoder block of a T5.
import type { ArchConfig } from '../arch/types.js';
import { WEIGHT_BYTES_PER_PARAM } from '../formats/safetensors/dtypes.js';

export type WeightDtype = keyof typeof WEIGHT_BYTES_PER_PARAM;
export const WEIGHT_DTYPES = Object.keys(WEIGHT_BYTES_PER_PARAM) as WeightDtype[];
export type KvDtype = 'fp32' | 'bf16' | 'fp16' | 'int8';
export const KV_BYTES: Record<KvDtype, number> = { fp32: 4, bf16: 2, fp16: 2, int8: 1 };

export const RUNTIME_OVERHEAD = 0.2;
export const GPU_UTILIZATION = 0.9;
export const CPU_HEADROOM = 0.25;

export interface HardwareOptions {
  contextLength: number;
  batchSize: number;
  weightDtype: WeightDtype;
  kvDtype: KvDtype;
}

export interface HardwareRequirements extends HardwareOptions {
  parameters: number;
  weightBytes: number;
  /** KV bytes one token adds while the context is shorter than every window. */
  kvBytesPerToken: number;
  kvCacheBytes: number;
  overheadBytes: number;
  totalBytes: number;
  minGpuBytes: number;
  recommendedCpuRamBytes: number;
  slidingLayers: number;
}

export function kvCacheBytes(arch: ArchConfig, contextLength: number, batchSize: number, bytes: number): number {
  let positions = 0;
  for (const t of arch.layerTypes) {
    positions += t === 'sliding_attention' && arch.slidingWindow ? Math.min(contextLength, arch.slidingWindow) : contextLength;
  }
  return 2 * arch.numKvHeads * arch.headDim * positions * batchSize * bytes;
}

export function hardwareRequirements(arch: ArchConfig, parameters: number, options: HardwareOptions): HardwareRequirements {
  const weightBytes = Math.ceil(parameters * WEIGHT_BYTES_PER_PARAM[options.weightDtype]);
  const kvBytes = KV_BYTES[options.kvDtype];
  const kvCache = kvCacheBytes(arch, options.contextLength, options.batchSize, kvBytes);
  const overheadBytes = Math.ceil(weightBytes * RUNTIME_OVERHEAD);
  const totalBytes = weightBytes + kvCache + overheadBytes;
  return {
    ...options,
    parameters,
    weightBytes,
    kvBytesPerToken: 2 * arch.layerTypes.length * arch.numKvHeads * arch.headDim * kvBytes,
    kvCacheBytes: kvCache,
    overheadBytes,
    totalBytes,
    minGpuBytes: Math.ceil(totalBytes / GPU_UTILIZATION),
    recommendedCpuRamBytes: Math.ceil(totalBytes * (1 + CPU_HEADROOM)),
    slidingLayers: arch.layerTypes.filter((t) => t === 'sliding_attention').length,
  };
}

/** Decimal units, stated as such (1 GB = 10^9 bytes), as the Hub and GPU vendors write them. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(2)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(2)} kB`;
  return `${bytes} B`;
}

export function formatParameters(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}
