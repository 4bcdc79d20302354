// Parameter accounting, two ways: from config.json alone (right even when no weights exist) and
// from the tensors in the files. Disagreements are listed, never hidden.
import type { TensorInfo } from '../formats/safetensors/header.js';
import { expectedTensors } from './tensors.js';
import { type ArchConfig, COMPONENTS, type Component } from './types.js';

export type ComponentCounts = Record<Component, number>;

export interface ParameterCount {
  total: number;
  byComponent: ComponentCounts;
}

export interface TensorAccounting extends ParameterCount {
  /** Expected by the config, absent from the files. */
  missing: string[];
  /** In the files, not expected by the config (counted under `other`). */
  unexpected: string[];
  shapeMismatches: Array<{ name: string; expected: number[]; actual: number[] }>;
}

function zero(): ComponentCounts {
  return Object.fromEntries(COMPONENTS.map((c) => [c, 0])) as ComponentCounts;
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function countFromConfig(cfg: ArchConfig): ParameterCount {
  const byComponent = zero();
  for (const t of expectedTensors(cfg)) byComponent[t.component] += product(t.shape);
  return { total: Object.values(byComponent).reduce((a, b) => a + b, 0), byComponent };
}

export function countFromTensors(cfg: ArchConfig, tensors: ReadonlyArray<Pick<TensorInfo, 'name' | 'shape'>>): TensorAccounting {
  const expected = new Map(expectedTensors(cfg).map((t) => [t.name, t]));
  const byComponent = zero();
  const unexpected: string[] = [];
  const shapeMismatches: TensorAccounting['shapeMismatches'] = [];
  const seen = new Set<string>();
  for (const t of tensors) {
    const e = expected.get(t.name);
    seen.add(t.name);
    if (!e) {
      unexpected.push(t.name);
      byComponent.other += product(t.shape);
      continue;
    }
    if (e.shape.length !== t.shape.length || e.shape.some((d, i) => d !== t.shape[i])) {
      shapeMismatches.push({ name: t.name, expected: e.shape, actual: [...t.shape] });
    }
    byComponent[e.component] += product(t.shape);
  }
  const missing = [...expected.keys()].filter((n) => !seen.has(n));
  return { total: Object.values(byComponent).reduce((a, b) => a + b, 0), byComponent, missing, unexpected, shapeMismatches };
}
