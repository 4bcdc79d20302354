// `npm run bench`: every benchmark in one run, each printing its figure, baseline and ratio.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches = [
  'safetensors-read.ts',
  'prune-width.ts',
  'api.ts',
  'eval-speed.ts',
  'eval-profile.ts',
  'vocab.ts',
  'encoders.ts',
  'recovery.ts',
  'queue.ts',
  'real.ts',
  'hub.ts',
];
let failed = 0;
for (const b of benches) {
  // bench:api runs the server as in production, with the heap setting its npm script gives it.
  const api = b === 'api.ts';
  const flags = api ? ['--max-semi-space-size=32'] : [];
  const env = api ? { ...process.env, NODE_ENV: 'production' } : process.env;
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', fileURLToPath(new URL(b, import.meta.url))], {
    stdio: 'inherit',
    env,
  });
  if (r.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
