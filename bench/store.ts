// Benchmark of the artifact store with tensor pieces (issue 31), on both backends in one run: a
// folder and an S3-compatible bucket (s3rver, a local S3 server writing to the same disk).
//   npm run bench:store            (BENCH_STORE_LAYERS=N for a smaller checkpoint, BENCH_DIR for the disk,
//                                   BENCH_STORE_ROUNDS=N for the timed comparisons, default 3)
// Goals: base + 10 vocabulary trims of a checkpoint with Qwen3-0.6B's published configuration
// (BF16, random weights) take physical ≤ 1.5× the base's bytes; reading a file stored in pieces
// from the folder store ≥ 0.8× reading the same file stored whole; registration and a prune job
// (checkout, prune, store) ≤ 1.1× theirs with the files stored whole. An upload through the Hub
// routes is timed too, without a goal. The timed
// comparisons on the folder store alternate the two (A B A B …, each on an empty store) and
// report medians: on a machine other processes load, one pair can differ by 2× either way.
// A trim here is the base with its (tied) embedding cut to its first K rows and every other tensor
// byte for byte, which is what `bonsai prune --method vocab` writes; K from 16,384 to 34,816 (one
// language's vocabulary, as the trimming seed's models keep).
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { parseArchitecture } from '../src/arch/registry.js';
import { expectedTensors } from '../src/arch/tensors.js';
import { encodeHeader, type TensorSpec } from '../src/formats/safetensors/index.js';
import { prune } from '../src/pruning/engine.js';
import { parseRecipe } from '../src/pruning/recipe.js';
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
const ROUNDS = Number(process.env.BENCH_STORE_ROUNDS ?? 3);
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

/** Runs `a` and `b` alternately, `ROUNDS` times each; each returns the seconds it measured. */
async function alternate(a: () => Promise<number>, b: () => Promise<number>): Promise<{ a: number[]; b: number[] }> {
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    out.a.push(await a());
    out.b.push(await b());
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A fresh, empty folder store (in pieces, or every file whole), removed after `use`. */
async function freshStore<T>(name: string, wholeFiles: boolean, use: (store: ArtifactStore) => Promise<T>): Promise<T> {
  const root = join(scratch, `${name}-${wholeFiles ? 'whole' : 'pieces'}-${Math.random().toString(36).slice(2)}`);
  try {
    return await use(new ArtifactStore(root, undefined, { wholeFiles }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const seconds = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
};

/**
 * The folder store's timed comparisons, in pieces (A) against whole (B): receiving the base as an
 * upload (the Hub routes' Git LFS path), registering it from a folder outside the store
 * (importFolder: a copy either way), and the PRUNE job's path for a 20 % MLP width prune.
 */
async function folderTimings() {
  const src = join(scratch, 'registered');
  mkdirSync(src);
  await writeModel(src);
  const weightsOf = async () => {
    const bytes = readFileSync(join(src, 'model.safetensors'));
    return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
  };
  const announced = await weightsOf();
  // An upload through the Hub routes (Git LFS): the body arrives in 64 KiB chunks, as an HTTP body does.
  const upload = (wholeFiles: boolean) => () =>
    freshStore('upload', wholeFiles, (store) =>
      seconds(() => store.receive(createReadStream(join(src, 'model.safetensors'), { highWaterMark: 64 << 10 }), announced)),
    );
  const register = (wholeFiles: boolean) => () => freshStore('register', wholeFiles, (store) => seconds(() => store.importFolder(src)));
  const parts = { checkout: { a: [] as number[], b: [] as number[] }, prune: { a: [] as number[], b: [] as number[] } };
  // The PRUNE job's path: the parent registered in the store, checked out (hard links to whole
  // blobs; a file in pieces is read in place through links to its pieces), pruned with its result written as pieces when the
  // store keeps pieces (src/storage/piecesWriter.ts), and stored. The registration is not timed.
  const pruneAndStore = (wholeFiles: boolean) => () =>
    freshStore('prune', wholeFiles, async (store) => {
      const parent = await store.importFolder(src);
      const job = await store.tempDir('job');
      const side = wholeFiles ? 'b' : 'a';
      const t = performance.now();
      await store.checkout(parent.files, join(job, 'parent'), undefined, { inPlace: true });
      parts.checkout[side].push((performance.now() - t) / 1000);
      const writers = store.piecesWriters(join(job, 'pieces'));
      const parentHashes = Object.fromEntries(parent.files.map((f) => [f.path, f.sha256]));
      const p = performance.now();
      await prune(join(job, 'parent'), join(job, 'out'), parseRecipe({ method: 'mlp-width', pruningFraction: 0.2 }), {
        parentHashes,
        tensorWriter: writers?.create,
      });
      parts.prune[side].push((performance.now() - p) / 1000);
      await store.adoptFolder(join(job, 'out'), undefined, writers?.files);
      return (performance.now() - t) / 1000;
    });
  return {
    upload: await alternate(upload(false), upload(true)),
    register: await alternate(register(false), register(true)),
    prune: await alternate(pruneAndStore(false), pruneAndStore(true)),
    parts,
  };
}

/** Medians of A (pieces) against B (whole); `goal` false for a figure the issue sets no goal for. */
function compared(what: string, t: { a: number[]; b: number[] }, goal = true) {
  const a = median(t.a);
  const b = median(t.b);
  if (goal) line(`${what}: in pieces / whole`, `${a.toFixed(2)} s`, a / b, '≤ 1.1×', a / b <= 1.1);
  else console.log(`  ${`${what}: in pieces / whole`.padEnd(46)} ${`${a.toFixed(2)} s`.padStart(14)}   ${(a / b).toFixed(3)}×   (no goal)`);
  const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
  console.log(`    in pieces ${list(t.a)} s; whole ${list(t.b)} s (median ${b.toFixed(2)} s)`);
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
  const timings = await folderTimings();
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
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
    console.log(
      `  store the base in pieces ${r.baseSeconds.toFixed(2)} s, whole ${r.wholeSeconds.toFixed(2)} s (one each, ${(r.baseSeconds / r.wholeSeconds).toFixed(2)}×); one trim (fastest of ${r.trimSeconds.length}) ${trim.toFixed(2)} s`,
    );
  }
  console.log(
    `folder store, alternated ${ROUNDS}× (medians; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  );
  // Every byte of an upload in pieces is hashed twice (the file's sha256, its piece's), where
  // stored whole it is hashed once; the issue's goals are for registration and pruning.
  compared('upload the base (Hub LFS, receive)', timings.upload, false);
  compared('register the base (importFolder, a copy)', timings.register);
  compared('check out, prune MLP width 20 %, store (the job)', timings.prune);
  const m = (xs: number[]) => `${median(xs).toFixed(2)} s`;
  const { checkout, prune: pruning } = timings.parts;
  console.log(`    of which the checkout: median ${m(checkout.a)} in pieces (linked, read in place), ${m(checkout.b)} whole (hard links)`);
  console.log(`    and the prune itself (writing pieces / a file): median ${m(pruning.a)} in pieces, ${m(pruning.b)} whole`);
  // Download: the base's weights from the folder store, in pieces, against the same file stored
  // whole, both from the page cache.
  const folder = new ArtifactStore(join(scratch, 'folder'));
  const wholeStore = new ArtifactStore(join(scratch, 'folder-whole'));
  const weightsFile = runs[0]!.stored.files.find((f) => f.path === 'model.safetensors')!;
  const timed = (read: () => Promise<number>) => async () => {
    const t = performance.now();
    if ((await read()) !== weightsFile.size) throw new Error('short read');
    return (performance.now() - t) / 1000;
  };
  // Both read once untimed first: the ~50 GB the bench wrote before (both families, the timed
  // stores) evict early files from the page cache, and a first read from disk of one side only
  // made the ratio a measure of the cache (2026-12-06 05:47: whole 5,872 MB/s, pieces 1,989).
  for (const read of [() => folder.readBlob(weightsFile.sha256), async () => createReadStream(wholeStore.blobPath(weightsFile.sha256))])
    await readAll(await read());
  // Alternated, medians (the reads share the machine with whatever else runs).
  const reads = await alternate(
    timed(async () => readAll(await folder.readBlob(weightsFile.sha256))),
    timed(() => readAll(createReadStream(wholeStore.blobPath(weightsFile.sha256), { highWaterMark: 1 << 20 }))),
  );
  const pieced = median(reads.a);
  const plain = median(reads.b);
  const mbps = (s: number) => `${(weightsFile.size / MB / s).toFixed(0)} MB/s`;
  console.log(
    `download of the base's ${(weightsFile.size / MB).toFixed(0)} MB weights from the folder store (page cache), alternated ${ROUNDS}×, medians`,
  );
  console.log(`  whole blob ${mbps(plain)}`);
  line('in pieces / whole blob', mbps(pieced), plain / pieced, '≥ 0.8×', plain / pieced >= 0.8);
} finally {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
}
