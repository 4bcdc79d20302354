// Human formatting for CLI output.

export function formatInt(n: number | bigint): string {
  return n.toLocaleString('en-US');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(2)} ${units[u]}`;
}

export function table(rows: Array<Array<string | undefined>>): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell = '', c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** A config value as the plan shows it; a field the config did not set (or the plan drops) is "(unset)". */
export function formatConfigValue(v: unknown): string {
  return v === undefined || v === null ? '(unset)' : JSON.stringify(v);
}
