// `npm run bench`: every benchmark in one run, each printing its figure, baseline and ratio.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches = ['safetensors-read.ts', 'prune-width.ts', 'api.ts', 'eval-speed.ts', 'vocab.ts', 'queue.ts', 'real.ts'];
let failed = 0;
for (const b of benches) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(b, import.meta.url))], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
