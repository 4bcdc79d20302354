// `bonsai store stats [--json]`: what the registry's files take in the artifact store, logical
// against physical, and per model the bytes it alone holds and those it shares with other models
// (src/registry/storageStats.ts).

import { storageStats } from '../registry/storageStats.js';
import { formatBytes } from './format.js';
import { withRegistry } from './registry.js';

export async function storeStats(opts: { json?: boolean }): Promise<void> {
  const stats = await withRegistry('store', async (deps) => ({ location: deps.store.location, ...(await storageStats(deps)) }));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
    return;
  }
  const ratio = stats.logicalBytes > 0 ? stats.physicalBytes / stats.logicalBytes : 0;
  const out = [
    `store     ${stats.location}`,
    `logical   ${formatBytes(stats.logicalBytes)} (${stats.models.length} models' current files)`,
    `physical  ${formatBytes(stats.physicalBytes)} (${stats.objects} objects for ${stats.files} files; ${ratio.toFixed(3)}× logical)`,
  ];
  if (stats.missingFiles) out.push(`MISSING   ${stats.missingFiles} referenced file(s) are not in the store`);
  const width = Math.max(5, ...stats.models.map((m) => m.name.length));
  out.push('', `${'model'.padEnd(width)}  ${'size'.padStart(10)}  ${'own'.padStart(10)}  ${'shared'.padStart(10)}`);
  for (const m of stats.models)
    out.push(`${m.name.padEnd(width)}  ${[m.logicalBytes, m.ownBytes, m.sharedBytes].map((b) => formatBytes(b).padStart(10)).join('  ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
