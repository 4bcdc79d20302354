// Typed reads of config.json fields, each failing with the field's name and what is wrong.
import { CheckpointError } from '../formats/checkpoint/folder.js';

import { MAX_DIMENSION, MAX_LAYERS } from './limits.js';

export { MAX_DIMENSION, MAX_LAYERS };

export class ConfigReader {
  constructor(
    readonly config: Record<string, unknown>,
    readonly file: string,
  ) {}

  private fail(key: string, problem: string): never {
    throw new CheckpointError(this.file, `${key} ${problem} (got ${JSON.stringify(this.config[key]) ?? 'nothing'})`);
  }

  has(key: string): boolean {
    return this.config[key] !== undefined && this.config[key] !== null;
  }

  /**
   * A positive integer no larger than `max`. Sizes are bounded before anything is built from them
   * (a config.json with num_hidden_layers 10^9 must be an error in milliseconds, not an
   * allocation that takes the server down).
   */
  int(key: string, fallback?: number, max = MAX_DIMENSION): number {
    const v = this.config[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(key, 'is required and must be a positive integer');
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) this.fail(key, 'must be a positive integer');
    if (v > max) this.fail(key, `must be at most ${max.toLocaleString('en-US')}`);
    return v;
  }

  /** A token id or other index: a non-negative integer below MAX_DIMENSION. */
  index(key: string, fallback: number): number {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v >= MAX_DIMENSION) this.fail(key, 'must be a non-negative integer');
    return v;
  }

  num(key: string, fallback: number): number {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'must be a number');
    return v;
  }

  optNum(key: string): number | null {
    const v = this.config[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'must be a number or null');
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, 'must be true or false');
    return v;
  }

  str(key: string, fallback: string): string {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') this.fail(key, 'must be a string');
    return v;
  }

  /** A per-layer list such as Gemma's `layer_types`, checked against the layer count. */
  layerTypes(key: string, numLayers: number): Array<'full_attention' | 'sliding_attention'> | undefined {
    const v = this.config[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((t) => t !== 'full_attention' && t !== 'sliding_attention')) {
      this.fail(key, 'must be a list of "full_attention" / "sliding_attention"');
    }
    if (v.length !== numLayers) this.fail(key, `must have one entry per layer (num_hidden_layers = ${numLayers})`);
    return v as Array<'full_attention' | 'sliding_attention'>;
  }
}
