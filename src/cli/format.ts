// Human formatting for CLI output. Byte sizes are the card's (src/cards/hardware.ts): decimal
// kB/MB/GB as the Hub writes them, so the CLI, the card and the catalog say the same number.

export { formatBytes } from '../cards/hardware.js';

export function formatInt(n: number | bigint): string {
  return n.toLocaleString('en-US');
}

export function table(rows: Array<Array<string | undefined>>): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell = '', c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** A config value as the plan shows it; a field the config did not set (or the plan drops) is "(unset)". */
export function formatConfigValue(v: unknown): string {
  return v === undefined || v === null ? '(unset)' : JSON.stringify(v);
}
