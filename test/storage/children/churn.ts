// Stores and removes safetensors files that share tensors in a folder store, forever, until the
// test kills it with SIGKILL (test/storage/crash.test.ts). Each round writes a family of files:
// one base and trims of its embedding, as a vocabulary trim does.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeHeader } from '../../../src/formats/safetensors/index.js';
import { ArtifactStore } from '../../../src/storage/store.js';

const store = new ArtifactStore(process.argv[2]!, undefined, { pieceGraceMs: 0 });
const block = randomBytes(512 * 1024);
for (let round = 0; ; round++) {
  const dir = await store.tempDir('churn');
  const embed = randomBytes(256 * 1024);
  for (let i = 0; i < 4; i++) {
    const e = embed.subarray(0, embed.length - i * 2048);
    const specs = [
      { name: 'embed', dtype: 'BF16' as const, shape: [e.length / 2] },
      { name: 'block', dtype: 'BF16' as const, shape: [block.length / 2] },
    ];
    writeFileSync(join(dir, `m${i}.safetensors`), Buffer.concat([Buffer.from(encodeHeader(specs)), e, block]));
  }
  const { files } = await store.adoptFolder(dir);
  process.stdout.write(`stored ${round}\n`);
  // Remove half now; the rest stays, so later rounds both reuse and free shared pieces.
  await store.removeBlobs(files.filter((_, i) => (i + round) % 2 === 0).map((f) => f.sha256));
  await store.removeTemp(dir);
}
