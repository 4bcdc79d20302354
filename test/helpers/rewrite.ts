import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointTensors } from '../../src/formats/checkpoint/tensors.js';
import { writeTensors } from '../../src/formats/checkpoint/writeTensors.js';
import { fromFloat32, toFloat32 } from '../../src/formats/safetensors/dtypes.js';

/** Copies a checkpoint, letting `edit` change any tensor's values (as Float32). */
export async function rewriteCheckpoint(
  src: string,
  dst: string,
  edit: (name: string, values: Float32Array, shape: number[]) => void,
): Promise<void> {
  mkdirSync(dst, { recursive: true });
  for (const f of readdirSync(src))
    if (!f.endsWith('.safetensors') && f !== 'model.safetensors.index.json') copyFileSync(join(src, f), join(dst, f));
  const ckpt = await CheckpointTensors.open(src);
  try {
    await writeTensors(dst, ckpt.infos(), async (t) => {
      const values = toFloat32(await ckpt.readBytes(t.name), t.dtype);
      edit(t.name, values, t.shape);
      return fromFloat32(values, t.dtype);
    });
  } finally {
    await ckpt.close();
  }
}

export async function tensorBytes(dir: string): Promise<Map<string, Buffer>> {
  const ckpt = await CheckpointTensors.open(dir);
  try {
    const out = new Map<string, Buffer>();
    for (const n of ckpt.names()) out.set(n, Buffer.from(await ckpt.readBytes(n)));
    return out;
  } finally {
    await ckpt.close();
  }
}

/** Every tensor of a checkpoint as Float32 values, by name. */
export async function tensorValues(dir: string): Promise<Map<string, Float32Array>> {
  const ckpt = await CheckpointTensors.open(dir);
  try {
    const out = new Map<string, Float32Array>();
    for (const n of ckpt.names()) out.set(n, await ckpt.readFloat32(n));
    return out;
  } finally {
    await ckpt.close();
  }
}
