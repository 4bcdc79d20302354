// The README's quick start in its order: `npm start` in one terminal, then `npm run demo` in
// another. The demo must use the running server (its registry, port and worker) instead of
// starting a second one on the same embedded database and port (issue 32). The server here runs
// without a worker, so the demo's jobs stay queued and the test stops the demo once it has
// registered the base model and spawned through that server: the full run is demo.test.ts's.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/freePort.js';
import { sharedDir } from '../fixtures/checkpoints.js';
import { type BonsaiProcess, runBonsai } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';

const home = tempDir('bonsai-demo-server-');
const running: BonsaiProcess[] = [];

afterAll(async () => {
  for (const p of running.reverse()) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  rmSync(home, { recursive: true, force: true });
});

describe('bonsai demo beside a running server', () => {
  it('registers and spawns through the running server instead of starting a second one', async () => {
    const port = await freePort();
    const server = runBonsai(['serve', '--no-worker'], { BONSAI_HOME: home, PORT: String(port) });
    running.push(server);
    await server.waitFor(/GraphQL\s+http:\/\/\S+\/graphql/, 120_000);

    const demo = runBonsai(['demo', '--quick', '--shared', sharedDir], { BONSAI_HOME: home, PORT: String(port) });
    running.push(demo);
    await demo.waitFor(/spawned bible\/tiny-llama-kjv-/, 180_000);
    expect(demo.output()).toMatch(new RegExp(`Using the Bonsai server already running at http://[^ ]+:${port} `));
    expect(demo.output()).not.toMatch(/EADDRINUSE|address already in use|is locked|Error/i);

    // The server the user started holds what the demo did.
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ models(first: 20) { nodes { name status } } }' }),
    });
    const names = ((await res.json()) as { data: { models: { nodes: Array<{ name: string }> } } }).data.models.nodes.map((m) => m.name);
    expect(names).toContain('bible/tiny-llama-kjv');
    expect(names.some((n) => n.startsWith('bible/tiny-llama-kjv-'))).toBe(true);

    demo.child.kill('SIGTERM');
    await demo.exited;
    // Stopping the demo leaves the user's server serving.
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  }, 360_000);
});
