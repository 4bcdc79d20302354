// Stores and removes safetensors files that share tensors in a folder store, forever, until the
// test kills it with SIGKILL (test/storage/crash.test.ts). Each round writes a family of files:
// one base and trims of its embedding, as a vocabulary trim does, by the three routes into the
// store in turn: files a process wrote (adoptFolder), a prune's tensors written straight as pieces
// (piecesWriters), an upload (receive).
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { encodeHeader } from '../../../src/formats/safetensors/index.js';
import { ArtifactStore } from '../../../src/storage/store.js';

const store = new ArtifactStore(process.argv[2]!, undefined, { pieceGraceMs: 0 });
const block = randomBytes(512 * 1024);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
for (let round = 0; ; round++) {
  const dir = await store.tempDir('churn');
  const embed = randomBytes(256 * 1024);
  const route = round % 3;
  const staging = await store.tempDir('churn-pieces');
  const writers = store.piecesWriters(staging)!;
  const uploads: Array<{ sha256: string; size: number }> = [];
  for (let i = 0; i < 4; i++) {
    const e = embed.subarray(0, embed.length - i * 2048);
    const specs = [
      { name: 'embed', dtype: 'BF16' as const, shape: [e.length / 2] },
      { name: 'block', dtype: 'BF16' as const, shape: [block.length / 2] },
    ];
    const file = Buffer.concat([Buffer.from(encodeHeader(specs)), e, block]);
    if (route === 0) writeFileSync(join(dir, `m${i}.safetensors`), file);
    else if (route === 1) {
      const w = await writers.create(join(dir, `m${i}.safetensors`), specs);
      await w.write('embed', e);
      await w.write('block', block);
      await w.finish();
    } else {
      await store.receive(Readable.from([file.subarray(0, 100), file.subarray(100)]), { sha256: sha(file), size: file.length });
      uploads.push({ sha256: sha(file), size: file.length });
    }
  }
  const files = route === 2 ? uploads : (await store.adoptFolder(dir, undefined, writers.files)).files;
  process.stdout.write(`stored ${round}\n`);
  // Remove half now; the rest stays, so later rounds both reuse and free shared pieces.
  await store.removeBlobs(files.filter((_, i) => (i + round) % 2 === 0).map((f) => f.sha256));
  await store.removeTemp(dir);
  await store.removeTemp(staging);
}
