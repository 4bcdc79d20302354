// The demo's family in the artifact store (issue 31's goal: physical ≤ 0.5× logical). Builds it
// the way `bonsai demo` does, without the server: the shared tiny-llama-kjv registered
// (importFolder of the files registerModel selects), then each seed recipe of src/cli/demoRecipes.ts
// pruned from its parent's checkout by the worker's pruneCheckpoint and its output adopted into
// the store, as workers/prune.ts does. Prints each model's logical bytes, the bytes it shares
// with its parent, the bytes it added, and the family's physical / logical.
//   npm run bench:store-demo       (BENCH_DEMO_SAMPLES=N calibration tokens, default 256 as `demo --quick`)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEMO_BASE, demoSeeds } from '../src/cli/demoRecipes.js';
import { pruneCheckpoint } from '../src/pruning/pruneCheckpoint.js';
import { parseRecipe } from '../src/pruning/recipe.js';
import { checkCheckpointFolder } from '../src/registry/checkFolder.js';
import { findSharedDir } from '../src/sharedAssets.js';
import { ArtifactStore, type StoredFile } from '../src/storage/store.js';

const MB = 1e6;
const shared = findSharedDir();
if (!shared) throw new Error('the shared model was not found: set BONSAI_SHARED_DIR');
const samples = Number(process.env.BENCH_DEMO_SAMPLES ?? 256);
const scratch = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'bonsai-bench-store-demo-'));
const store = new ArtifactStore(join(scratch, 'store'));

/** The objects a model's files take (its pieces, or whole blobs), each with its size. */
async function objectsOf(files: StoredFile[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const f of files) for (const o of (await store.composition(f.sha256, f.size)) ?? []) out.set(o.key, o.size);
  return out;
}

async function physicalBytes(): Promise<number> {
  let n = 0;
  for (const prefix of ['blobs/', 'manifests/', 'pieces/'])
    for await (const key of store.objects.list(prefix)) n += (await store.objects.head(key))!.size;
  return n;
}

try {
  const models = new Map<string, { files: StoredFile[]; label: string; parent: string | null }>();
  const baseDir = join(shared, 'models', DEMO_BASE);
  const roots = [dirname(baseDir)];
  const { selection } = await checkCheckpointFolder(baseDir, roots, 'path');
  const base = await store.importFolder(
    baseDir,
    selection.files.map((f) => f.name),
    { roots },
  );
  models.set('base', { files: base.files, label: 'the shared model, registered', parent: null });
  for (const seed of demoSeeds(join(shared, 'data', 'kjv-train.txt'), samples)) {
    const parent = models.get(seed.parent)!;
    const work = await store.tempDir('demo');
    const parentDir = join(work, 'parent');
    await store.checkout(parent.files, parentDir, undefined, { inPlace: true });
    const parentHashes = Object.fromEntries(parent.files.map((f) => [f.path, f.sha256]));
    const t = performance.now();
    await pruneCheckpoint(parentDir, join(work, 'out'), parseRecipe(seed.recipe), {
      calibration: { cacheDir: store.onnxCache, threads: 2, fileHashes: parentHashes, tmp: join(work, 'calibration') },
      parentHashes,
    });
    const { files } = await store.adoptFolder(join(work, 'out'));
    process.stderr.write(`${seed.name}: ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    await store.removeTemp(work);
    models.set(seed.name, { files, label: seed.label, parent: seed.parent });
  }

  // Each model against its parent, and what it added to the store in the order the demo spawns.
  const seen = new Map<string, number>();
  const rows: string[][] = [['model', 'recipe', 'logical MB', 'shared with parent MB', 'added MB']];
  let logical = 0;
  for (const [name, m] of models) {
    const mine = await objectsOf(m.files);
    const theirs = m.parent ? await objectsOf(models.get(m.parent)!.files) : new Map<string, number>();
    const size = m.files.reduce((a, f) => a + f.size, 0);
    logical += size;
    let sharedWithParent = 0;
    let added = 0;
    for (const [key, bytes] of mine) {
      if (theirs.has(key)) sharedWithParent += bytes;
      if (!seen.has(key)) added += bytes;
      seen.set(key, bytes);
    }
    rows.push([
      name === 'base' ? DEMO_BASE : name,
      m.label,
      (size / MB).toFixed(2),
      (sharedWithParent / MB).toFixed(2),
      (added / MB).toFixed(2),
    ]);
  }
  const physical = await physicalBytes();
  // The same files stored whole, as before pieces: each distinct file once.
  const whole = new Map<string, number>();
  for (const m of models.values()) for (const f of m.files) whole.set(f.sha256, f.size);
  const wholeBytes = [...whole.values()].reduce((a, b) => a + b, 0);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(
    `bench:store-demo ${new Date().toISOString().slice(0, 16).replace('T', ' ')}: the demo's ${models.size} models (${samples} calibration tokens)`,
  );
  for (const r of rows) console.log(`  ${r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`);
  console.log(`  logical ${(logical / MB).toFixed(1)} MB; stored whole (each distinct file once) ${(wholeBytes / MB).toFixed(1)} MB`);
  const ratio = physical / logical;
  console.log(
    `  physical in pieces ${(physical / MB).toFixed(1)} MB = ${ratio.toFixed(3)}× logical (goal ≤ 0.5×) ${ratio <= 0.5 ? 'PASS' : 'FAIL'}; stored whole ${(wholeBytes / logical).toFixed(3)}×`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
