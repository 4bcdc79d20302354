// kill -9 of a process while it stores and removes files in pieces, at many points: the store it
// leaves has no manifest naming a missing piece, every file it lists reads back to its sha256, and
// the sweep removes exactly the pieces nothing names.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { ArtifactStore } from '../../src/storage/store.js';
import { childEntry } from '../helpers/childEntry.js';
import { tempDir } from '../helpers/tmp.js';

/** churn.ts, started eight times: from a bundle, not through tsx each time (test/helpers/childEntry.ts). */
let child: string[];
beforeAll(async () => {
  child = await childEntry('test/storage/children/churn.ts', 'test-churn');
}, 120_000);

it('a store killed with SIGKILL at random points never leaves a manifest without its pieces', async () => {
  const root = tempDir('bonsai-crash-store-');
  const store = new ArtifactStore(root, undefined, { pieceGraceMs: 0 });
  for (let kill = 0; kill < 8; kill++) {
    const p = spawn(process.execPath, [...child, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Killed once it has stored `kill % 4` rounds and one more, so kills land in each of the
    // three routes into the store (churn.ts), after a random further delay.
    const rounds = kill % 4;
    await new Promise<void>((resolve) => {
      let out = '';
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(`stored ${rounds}\n`)) resolve();
      });
    });
    await new Promise((r) => setTimeout(r, Math.random() * 400));
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));

    const pieces = new Set(await store.listPieces());
    const manifests = await store.listManifests();
    for (const [file, m] of manifests) {
      for (const piece of m.pieces) expect(pieces.has(piece.sha256), `${file} names missing ${piece.sha256}`).toBe(true);
      const hash = createHash('sha256');
      for await (const c of await store.readBlob(file)) hash.update(c as Buffer);
      expect(hash.digest('hex')).toBe(file);
    }
    await store.sweepPieces();
    const named = new Set([...manifests.values()].flatMap((m) => m.pieces.map((p) => p.sha256)));
    expect((await store.listPieces()).sort()).toEqual([...named].sort());
  }
}, 180_000);
