// Random BF16 checkpoints with a given config.json, for benchmarks at real sizes: the weights only
// need to differ (speed and memory do not depend on them), so they are filled fast.
import { randomFillSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArchitecture } from '../src/arch/registry.js';
import { expectedTensors } from '../src/arch/tensors.js';
import { writeTensors } from '../src/formats/checkpoint/writeTensors.js';

/** Random BF16 values of magnitude ~0.004–0.06 (exponent bits fixed, sign and mantissa random). */
export function randomBf16(n: number): Uint8Array {
  const u = new Uint16Array(n);
  randomFillSync(u);
  for (let i = 0; i < n; i++) u[i] = (u[i]! & 0x807f) | 0x3b80 | ((u[i]! & 0x0100) >> 1);
  return new Uint8Array(u.buffer);
}

/**
 * Writes config.json, the tokenizer files of `tokenizerDir` and random BF16 tensors of exactly the
 * shapes the config implies (sharded above `maxShardBytes`, with an index). Returns the bytes of
 * the largest tensor. A folder that has its config.json already is kept.
 */
export async function writeRandomCheckpoint(
  dir: string,
  config: Record<string, unknown>,
  options: { tokenizerDir?: string; maxShardBytes?: number } = {},
): Promise<number> {
  const arch = parseArchitecture(config, 'config.json');
  const specs = expectedTensors(arch).map((t) => ({ name: t.name, dtype: 'BF16' as const, shape: t.shape }));
  if (!existsSync(join(dir, 'config.json'))) {
    mkdirSync(dir, { recursive: true });
    await writeTensors(dir, specs, (s) => randomBf16(s.shape.reduce((a, b) => a * b, 1)), {
      maxShardBytes: options.maxShardBytes,
      metadata: { format: 'pt' },
    });
    if (options.tokenizerDir) {
      for (const f of ['tokenizer.json', 'tokenizer_config.json'])
        if (existsSync(join(options.tokenizerDir, f))) copyFileSync(join(options.tokenizerDir, f), join(dir, f));
    }
    writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  }
  return Math.max(...specs.map((s) => s.shape.reduce((a, b) => a * b, 1) * 2));
}
