// Benchmark of the artifact store with tensor pieces (issue 31), on both backends in one run: a
// folder and an S3-compatible bucket (s3rver, a local S3 server writing to the same disk).
//   npm run bench:store            (BENCH_STORE_LAYERS=N for a smaller checkpoint, BENCH_DIR for the disk)
// Goals: base + 10 vocabulary trims of a checkpoint with Qwen3-0.6B's published configuration
// (BF16, random weights) take physical ≤ 1.5× the base's bytes; reading a file stored in pieces
// from the folder store ≥ 0.8× reading the same file stored whole; storing a checkpoint (what
// registration, uploads and a prune's result do) ≤ 1.1× the time it takes stored whole.
// A trim here is the base with its (tied) embedding cut to its first K rows and every other tensor
// byte for byte, which is what `bonsai prune --method vocab` writes; K from 16,384 to 34,816 (one
// language's vocabulary, as the trimming seed's models keep).
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { parseArchitecture } from '../src/arch/registry.js';
import { expectedTensors } from '../src/arch/tensors.js';
import { encodeHeader, type TensorSpec } from '../src/formats/safetensors/index.js';
import { S3Objects } from '../src/storage/s3Objects.js';
import { ArtifactStore } from '../src/storage/store.js';
import { randomBf16 } from './randomCheckpoint.js';

/** huggingface.co/Qwen/Qwen3-0.6B/blob/main/config.json */
const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'],
  model_type: 'qwen3',
  hidden_size: 1024,
  intermediate_size: 3072,
  num_hidden_layers: Number(process.env.BENCH_STORE_LAYERS ?? 28),
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  vocab_size: 151936,
  max_position_embeddings: 40960,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  hidden_act: 'silu',
  attention_bias: false,
};
const TRIMS = Array.from({ length: 10 }, (_, i) => 16_384 + i * 2_048);
const MB = 1e6;

const arch = parseArchitecture(QWEN3_06B, 'config.json');
const specs: TensorSpec[] = expectedTensors(arch).map((t) => ({ name: t.name, dtype: 'BF16', shape: t.shape }));
process.stderr.write(`generating ${specs.length} random BF16 tensors (Qwen3-0.6B shapes, ${QWEN3_06B.num_hidden_layers} layers)\n`);
const weights = new Map(specs.map((s) => [s.name, Buffer.from(randomBf16(s.shape.reduce((a, b) => a * b, 1)))]));
const EMBED = 'model.embed_tokens.weight';

/** Writes the base (rows = undefined) or a trim to `dir`/model.safetensors with its config.json; its bytes. */
async function writeModel(dir: string, rows?: number): Promise<number> {
  const these = specs.map((s) => (s.name === EMBED && rows ? { ...s, shape: [rows, s.shape[1]!] } : s));
  const header = Buffer.from(encodeHeader(these));
  const handle = await open(join(dir, 'model.safetensors'), 'w');
  let size = header.length;
  try {
    await handle.write(header);
    for (const s of these) {
      const b = weights.get(s.name)!;
      const part = s.name === EMBED && rows ? b.subarray(0, rows * s.shape[1]! * 2) : b;
      await handle.write(part);
      size += part.length;
    }
  } finally {
    await handle.close();
  }
  const config = `${JSON.stringify({ ...QWEN3_06B, vocab_size: rows ?? QWEN3_06B.vocab_size }, null, 2)}\n`;
  writeFileSync(join(dir, 'config.json'), config);
  return size + config.length;
}

/** Bytes of every object the store holds (whole blobs, manifests, pieces). */
async function physicalBytes(store: ArtifactStore): Promise<number> {
  let n = 0;
  for (const prefix of ['blobs/', 'manifests/', 'pieces/'])
    for await (const key of store.objects.list(prefix)) n += (await store.objects.head(key))!.size;
  return n;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const c of stream) n += (c as Buffer).length;
  return n;
}

async function family(label: string, store: ArtifactStore, whole: ArtifactStore) {
  const times: number[] = [];
  let logical = 0;
  let base = 0;
  for (const rows of [undefined, ...TRIMS]) {
    const dir = await store.tempDir('bench');
    const size = await writeModel(dir, rows);
    logical += size;
    if (rows === undefined) base = size;
    const t = performance.now();
    await store.adoptFolder(dir);
    times.push((performance.now() - t) / 1000);
    await store.removeTemp(dir);
  }
  // The same base stored whole, as before pieces: registration's baseline.
  const dir = await whole.tempDir('bench');
  await writeModel(dir);
  const t = performance.now();
  const stored = await whole.adoptFolder(dir);
  const wholeSeconds = (performance.now() - t) / 1000;
  await whole.removeTemp(dir);
  const physical = await physicalBytes(store);
  return { label, logical, base, physical, baseSeconds: times[0]!, trimSeconds: times.slice(1), wholeSeconds, stored };
}

function line(what: string, value: string, ratio: number, goal: string, pass: boolean) {
  console.log(`  ${what.padEnd(46)} ${value.padStart(14)}   ${ratio.toFixed(3)}×   goal ${goal.padEnd(8)} ${pass ? 'PASS' : 'FAIL'}`);
}

const scratch = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'bonsai-bench-store-'));
const s3dir = join(scratch, 's3rver');
const server = new S3rver({
  port: 0,
  address: '127.0.0.1',
  silent: true,
  directory: s3dir,
  configureBuckets: [{ name: 'bench', configs: [] }],
});
const { port } = (await server.run()) as { port: number };
const client = {
  endpoint: `http://127.0.0.1:${port}`,
  region: 'us-east-1',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
};
const bucket = (prefix: string) => new S3Objects({ bucket: 'bench', prefix }, { forcePathStyle: true, client: { ...client } });
try {
  const runs = [
    await family(
      'folder',
      new ArtifactStore(join(scratch, 'folder')),
      new ArtifactStore(join(scratch, 'folder-whole'), undefined, { wholeFiles: true }),
    ),
    await family(
      's3 (s3rver)',
      new ArtifactStore(join(scratch, 's3-local'), bucket('pieces')),
      new ArtifactStore(join(scratch, 's3-local-whole'), bucket('whole'), { wholeFiles: true }),
    ),
  ];
  const date = new Date().toISOString().slice(0, 10);
  console.log(
    `bench:store ${date}: base + ${TRIMS.length} vocabulary trims, Qwen3-0.6B shapes (${QWEN3_06B.num_hidden_layers} layers), BF16`,
  );
  for (const r of runs) {
    console.log(`${r.label}`);
    console.log(
      `  base ${(r.base / MB).toFixed(1)} MB, logical ${(r.logical / MB).toFixed(1)} MB (${(r.logical / r.base).toFixed(2)}× base stored whole)`,
    );
    line('physical / base', `${(r.physical / MB).toFixed(1)} MB`, r.physical / r.base, '≤ 1.5×', r.physical / r.base <= 1.5);
    const trim = Math.min(...r.trimSeconds);
    line(
      'store the base in pieces / stored whole',
      `${r.baseSeconds.toFixed(2)} s`,
      r.baseSeconds / r.wholeSeconds,
      '≤ 1.1×',
      r.baseSeconds / r.wholeSeconds <= 1.1,
    );
    console.log(
      `  store one trim (fastest of ${r.trimSeconds.length}): ${trim.toFixed(2)} s; the base stored whole: ${r.wholeSeconds.toFixed(2)} s`,
    );
  }
  // Download: the base's weights from the folder store, in pieces, against the same file stored
  // whole, both read after being written (in the page cache).
  const folder = new ArtifactStore(join(scratch, 'folder'));
  const wholeStore = new ArtifactStore(join(scratch, 'folder-whole'));
  const weightsFile = runs[0]!.stored.files.find((f) => f.path === 'model.safetensors')!;
  const best = async (read: () => Promise<number>) => {
    let s = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      if ((await read()) !== weightsFile.size) throw new Error('short read');
      s = Math.min(s, (performance.now() - t) / 1000);
    }
    return s;
  };
  const pieced = await best(async () => readAll(await folder.readBlob(weightsFile.sha256)));
  const plain = await best(() => readAll(createReadStream(wholeStore.blobPath(weightsFile.sha256), { highWaterMark: 1 << 20 })));
  const mbps = (s: number) => `${(weightsFile.size / MB / s).toFixed(0)} MB/s`;
  console.log(`download of the base's ${(weightsFile.size / MB).toFixed(0)} MB weights from the folder store (page cache)`);
  console.log(`  whole blob ${mbps(plain)}`);
  line('in pieces / whole blob', mbps(pieced), plain / pieced, '≥ 0.8×', plain / pieced >= 0.8);
} finally {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
}
