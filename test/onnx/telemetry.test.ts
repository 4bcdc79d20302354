// onnxruntime-node 1.29+ starts Microsoft's 1DS telemetry when its environment is created on Linux:
// $TMPDIR/.ses and one mat-debug-<pid>.log per process, written as the process ends and never
// removed, and uploads where it finds CA certificates. src/onnx/session.ts turns it off.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { sharedDir } from '../fixtures/checkpoints.js';
import { repoRoot } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';

it('a process that runs a session writes nothing into its temp folder', async () => {
  const session = pathToFileURL(join(repoRoot, 'src', 'onnx', 'session.ts')).href;
  const graph = join(sharedDir, 'models', 'tiny-llama-kjv-graph', 'model.onnx');
  const script = `const { LmSession } = await import(${JSON.stringify(session)});
const s = await LmSession.open(${JSON.stringify(graph)}, { threads: 1 });
console.log(s.outputNames.join(','));`;
  // Its own TMPDIR, and without the variable inherited, as a server's or a user's process starts.
  const tmp = tempDir('bonsai-ort-tmp-');
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
  delete env.ORT_DISABLE_TELEMETRY;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, env });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  expect(code, out).toBe(0);
  expect(out).toContain('hidden_out_0');
  // Before session.ts set ORT_DISABLE_TELEMETRY: [".ses", "mat-debug-<pid>.log"] beside tsx's cache.
  expect(readdirSync(tmp).filter((f) => f !== 'tsx-0')).toEqual([]);
  expect(existsSync(`/tmp/mat-debug-${child.pid}.log`)).toBe(false);
});
