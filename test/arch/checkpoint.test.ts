import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectCheckpoint } from '../../src/arch/inspect.js';
import { CheckpointError } from '../../src/formats/checkpoint/folder.js';
import { CheckpointTensors } from '../../src/formats/checkpoint/tensors.js';
import { writeTensors } from '../../src/formats/checkpoint/writeTensors.js';
import { buildCheckpoint } from '../fixtures/checkpoints.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('bonsai-ckpt-');

describe('checkpoint folders', () => {
  it('a missing config.json or a malformed one is named', async () => {
    const a = join(dir, 'noconfig');
    await buildCheckpoint('llama', a);
    rmSync(join(a, 'config.json'));
    await expect(inspectCheckpoint(a)).rejects.toThrow(new RegExp(`${a}/config.json: missing`));
    writeFileSync(join(a, 'config.json'), '{"model_type": "llama",');
    await expect(inspectCheckpoint(a)).rejects.toBeInstanceOf(CheckpointError);
    await expect(inspectCheckpoint(a)).rejects.toThrow(/config.json: not valid JSON/);
  });

  it('a tensor missing for a layer is reported by name, and totals disagree', async () => {
    const src = join(dir, 'complete');
    await buildCheckpoint('llama', src);
    const broken = join(dir, 'broken');
    cpSync(src, broken, { recursive: true });
    rmSync(join(broken, 'model.safetensors'));
    const ckpt = await CheckpointTensors.open(src);
    const infos = ckpt.infos().filter((t) => t.name !== 'model.layers.2.mlp.up_proj.weight');
    await writeTensors(broken, infos, (t) => ckpt.readBytes(t.name));
    await ckpt.close();
    const r = await inspectCheckpoint(broken);
    expect(r.parameters.agree).toBe(false);
    expect(r.parameters.fromTensors.missing).toEqual(['model.layers.2.mlp.up_proj.weight']);
    expect(r.parameters.fromConfig.total - r.parameters.fromTensors.total).toBe(96 * 32);
  });

  it('a shard listed in the index but absent is named', async () => {
    const out = join(dir, 'shards');
    await buildCheckpoint('llama', out, { maxShardBytes: 1_000_000 });
    rmSync(join(out, 'model-00002-of-00003.safetensors'));
    await expect(CheckpointTensors.open(out)).rejects.toThrow(/model-00002-of-00003.safetensors/);
  });

  it('a folder without safetensors weights says so', async () => {
    await expect(CheckpointTensors.open(join(dir))).rejects.toThrow(/no model.safetensors or model.safetensors.index.json/);
  });
});
