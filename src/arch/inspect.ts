// Everything `bonsai inspect` reports about a checkpoint folder, as data (the CLI and the
// registry format it).
import { join } from 'node:path';
import { CheckpointError, readCheckpointFolder } from '../formats/checkpoint/folder.js';
import { CheckpointTensors } from '../formats/checkpoint/tensors.js';
import { WEIGHT_BYTES_PER_PARAM } from '../formats/safetensors/dtypes.js';
import type { TensorInfo } from '../formats/safetensors/header.js';
import { countFromConfig, countFromTensors, type ParameterCount, type TensorAccounting } from './params.js';
import { alignPrefix, parseArchitecture } from './registry.js';
import type { ArchConfig } from './types.js';

export type WeightMemory = Record<keyof typeof WEIGHT_BYTES_PER_PARAM, number>;

export interface InspectReport {
  path: string;
  architecture: string;
  arch: ArchConfig;
  /** config.json as read. */
  config: Record<string, unknown>;
  parameters: { fromTensors: TensorAccounting; fromConfig: ParameterCount; agree: boolean };
  /** Stored dtypes with the number of parameters in each. */
  dtypes: Record<string, number>;
  /** The dtype holding most parameters. */
  dtype: string;
  tensorCount: number;
  sharded: boolean;
  bytesOnDisk: number;
  weightBytes: number;
  weightMemory: WeightMemory;
  files: Array<{ name: string; size: number }>;
}

export function weightMemory(parameters: number): WeightMemory {
  return Object.fromEntries(Object.entries(WEIGHT_BYTES_PER_PARAM).map(([k, b]) => [k, Math.ceil(parameters * b)])) as WeightMemory;
}

/** Block indices: `layers.N.` (decoders), `layer.N.` (BERT), `block.N.` (T5). */
const LAYER_INDEX = /(?:^|\.)(?:layers|layer|block)\.(\d+)\./;

/**
 * The config is checked against the tensors before anything is built from it: a config stating
 * more layers than the tensors hold is refused at once, whatever it states (the exact comparison,
 * tensor by tensor, follows in the parameter accounting).
 */
function checkLayerCount(config: Record<string, unknown>, infos: readonly TensorInfo[], file: string): void {
  const declared = config.num_hidden_layers ?? config.num_layers;
  if (typeof declared !== 'number' || !Number.isSafeInteger(declared)) return;
  let layers = 0;
  for (const t of infos) {
    const m = LAYER_INDEX.exec(t.name);
    if (m) layers = Math.max(layers, Number(m[1]) + 1);
  }
  if (declared > layers) {
    throw new CheckpointError(file, `num_hidden_layers is ${declared}, but the tensors hold ${layers} layer${layers === 1 ? '' : 's'}`);
  }
}

/** `roots`: the import roots every file read must lie under (registration); omitted for the CLI. */
export async function inspectCheckpoint(dir: string, roots?: readonly string[]): Promise<InspectReport> {
  const folder = await readCheckpointFolder(dir, roots);
  const tensors = await CheckpointTensors.open(dir, roots);
  try {
    const infos = tensors.infos();
    checkLayerCount(folder.config, infos, join(dir, 'config.json'));
    const parsed = parseArchitecture(folder.config, join(dir, 'config.json'));
    const arch = alignPrefix(
      parsed,
      infos.map((t) => t.name),
    );
    const fromTensors = countFromTensors(arch, infos);
    const fromConfig = countFromConfig(arch);
    const dtypes: Record<string, number> = {};
    for (const t of infos) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + t.shape.reduce((a, b) => a * b, 1);
    const dtype = Object.entries(dtypes).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
    const agree =
      fromTensors.total === fromConfig.total &&
      fromTensors.missing.length === 0 &&
      fromTensors.unexpected.length === 0 &&
      fromTensors.shapeMismatches.length === 0;
    const architectures = folder.config.architectures;
    return {
      path: dir,
      architecture: Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : arch.modelType,
      arch,
      config: folder.config,
      parameters: { fromTensors, fromConfig, agree },
      dtypes,
      dtype,
      tensorCount: infos.length,
      sharded: tensors.sharded,
      bytesOnDisk: folder.files.reduce((a, f) => a + f.size, 0),
      weightBytes: tensors.bytesOnDisk(),
      weightMemory: weightMemory(fromTensors.total),
      files: folder.files,
    };
  } finally {
    await tensors.close();
  }
}
