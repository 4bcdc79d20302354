// A fraction as the percentage in a child's name: `0.2` → `20`, `0.999` → `99.9` (rounding to a
// whole percent named a 99.9 % prune `…100`, and two different settings the same).
export function percentLabel(fraction: number): string {
  return String(Number((fraction * 100).toPrecision(6)));
}
