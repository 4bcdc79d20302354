// Prebuilt JavaScript for the processes Bonsai starts often: the `bonsai` command (src/cli/bonsai.mjs)
// and each job's process (workers/bundle.ts). Loading ~300 TypeScript modules through tsx's loader
// costs more than the work of a short command: `serve`'s modules took 1.5 CPU-s through tsx
// against 0.7 from a bundle, a job process 0.70 against 0.31 (quiet 2-core machine, issue 28,
// where the test suite starts such processes by the hundred). The bundle is built by esbuild
// (installed with tsx, which runs on it) into node_modules/.cache/bonsai, in a folder named by a
// hash of every source file it was built from: an edited source gets a new bundle at the next
// start, and processes started together share one build. There is still no build step for a user:
// where no bundle can be built the caller falls back to tsx. Plain JavaScript, because the
// `bonsai` executable reads it before any TypeScript loader is registered.
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'bonsai');
/** Changes when the way bundles are built changes, so older builds are not reused. */
const FORMAT = 3;

/**
 * Each module keeps its own `import.meta.url` (its source file's URL) inside the bundle: the code
 * finds files beside itself (`../package.json`, a worker thread's bootstrap, the web folder), and
 * one bundle in another folder would move every such path. `loaded` gets each source's bytes as
 * the build read them, which is what the build is keyed by.
 * @param {Map<string, Buffer>} loaded
 * @returns {import('esbuild').Plugin}
 */
const ownUrl = (loaded) => ({
  name: 'own-import-meta-url',
  setup(b) {
    // Our .mjs files too: this one is inlined wherever the code it serves is (tokenizerCheck.ts).
    b.onLoad({ filter: /\.(ts|mjs)$/ }, async (args) => {
      const bytes = await readFile(args.path);
      loaded.set(args.path, bytes);
      const source = bytes.toString('utf8');
      // A pattern, not the plain words: in a string this file's own bundling would replace them too,
      // and a bundle of this file (inlined into the CLI's) would then look for its source's URL.
      const contents = source.replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href));
      return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
});

/**
 * sha256 over the project folder, esbuild's version and each input's path and bytes: the bytes a
 * build read when given (`loaded`, by absolute path), else the file's bytes now. A source edited
 * while a build ran then keys that build by what it was built from, and the next start, reading the
 * edited file, finds no build under its key and makes one.
 * @param {readonly string[]} inputs paths relative to the project folder
 * @param {string} esbuildVersion
 * @param {ReadonlyMap<string, Buffer>} [loaded]
 */
async function keyOf(inputs, esbuildVersion, loaded) {
  const h = createHash('sha256').update(`${ROOT}\0${esbuildVersion}\0${FORMAT}\0`);
  for (const f of [...inputs].sort()) h.update(`${f}\0`).update(loaded?.get(join(ROOT, f)) ?? (await readFile(join(ROOT, f))));
  return h.digest('hex').slice(0, 16);
}

const exists = (/** @type {string} */ p) =>
  access(p).then(
    () => true,
    () => false,
  );

/**
 * Earlier builds of `name` (sources since edited), once an hour old: a process started from one
 * may still load its chunks for a while.
 * @param {string} name
 * @param {string} key the build to keep
 */
async function removeOld(name, key) {
  for (const d of await readdir(CACHE).catch(() => [])) {
    if (!d.startsWith(`${name}-`) || d === `${name}-${key}`) continue;
    const at = await stat(join(CACHE, d)).catch(() => null);
    if (at && Date.now() - at.mtimeMs > 3600_000) await rm(join(CACHE, d), { recursive: true, force: true });
  }
}

/**
 * The path of a bundle of `entry` (a .ts file relative to the project folder) that matches the
 * sources as they are now, building it when none does: `<cache>/<name>-<hash>/<entry's name>.mjs`.
 * Third-party packages stay imports (resolved from the project's node_modules, which the bundle
 * sits in), so only our own code is inlined; dynamic imports stay separate chunks, loaded only when
 * reached (the CLI's commands).
 * @param {string} entry
 * @param {string} name
 * @param {{ onBuilt?: () => Promise<void> }} [hooks] `onBuilt` runs between the build and its keying (a test edits a source there)
 * @returns {Promise<string>}
 */
export async function bundledEntry(entry, name, hooks) {
  // Through tsx instead: stack traces with TypeScript's lines, and the cost of a bundle measured.
  if (process.env.BONSAI_BUNDLE === '0') throw new Error('BONSAI_BUNDLE=0: TypeScript through tsx');
  const esbuild = await import('esbuild');
  const file = (/** @type {string} */ key) => join(CACHE, `${name}-${key}`, entry.replace(/^.*\//, '').replace(/\.ts$/, '.mjs'));
  const manifest = join(CACHE, `${name}.inputs.json`);
  // The inputs of the last build: if none of them changed, neither did the set of inputs (a new
  // import is an edit of a file already among them).
  const last = await readFile(manifest, 'utf8')
    .then((t) => /** @type {string[]} */ (JSON.parse(t)))
    .catch(() => null);
  if (last) {
    const key = await keyOf(last, esbuild.version).catch(() => null);
    if (key && (await exists(file(key)))) return file(key);
  }
  await mkdir(CACHE, { recursive: true });
  const tmp = join(CACHE, `.${name}.${process.pid}.${Date.now()}.tmp`);
  /** @type {Map<string, Buffer>} */
  const loaded = new Map();
  try {
    const result = await esbuild.build({
      entryPoints: [join(ROOT, entry)],
      absWorkingDir: ROOT,
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
      plugins: [ownUrl(loaded)],
    });
    const inputs = Object.keys(result.metafile.inputs);
    await hooks?.onBuilt?.();
    const key = await keyOf(inputs, esbuild.version, loaded);
    // A whole folder appears at once (rename); if another process got there first, its build is the same.
    await rename(tmp, join(CACHE, `${name}-${key}`)).catch(async (err) => {
      if (!(await exists(file(key)))) throw err;
    });
    await writeFile(`${manifest}.${process.pid}.tmp`, JSON.stringify(inputs));
    await rename(`${manifest}.${process.pid}.tmp`, manifest);
    await removeOld(name, key);
    return file(key);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
