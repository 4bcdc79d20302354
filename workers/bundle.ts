// A job process starts from one prebuilt JavaScript file instead of loading tsx and transforming
// ~140 TypeScript modules at each start: 0.31 CPU-s against 0.70 CPU-s per process measured on a
// quiet 2-core machine (issue 28: a test run starts a process for every job). The file is built by
// esbuild (already installed: tsx runs on it) into node_modules/.cache/bonsai, named by a hash of
// every source file it was built from, so an edited source rebuilds it on the next start and
// concurrent runners (test files in parallel) share one build; bare imports (third-party
// packages) resolve from the project's node_modules, which the bundle sits in. There is still no build step for a
// user: when the build cannot be made (no esbuild, a read-only install) the runner falls back to
// the tsx entry (entry.mjs).
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, version as esbuildVersion, type Plugin } from 'esbuild';
import type { Logger } from '../src/log.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'bonsai');
/** The tsx entry: the fallback, and what a job process ran before bundles. */
export const TSX_ENTRY = fileURLToPath(new URL('./entry.mjs', import.meta.url));

/**
 * Each module keeps its own `import.meta.url` (its source file's URL) inside the bundle: the code
 * finds files beside itself (`../package.json`, the heartbeat thread's bootstrap, the web folder),
 * and one bundle in another folder would move every such path.
 */
const ownUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

/** sha256 over the project folder, esbuild's version and each input's path and bytes. */
async function keyOf(inputs: readonly string[]): Promise<string> {
  const h = createHash('sha256').update(`${ROOT}\0${esbuildVersion}\0`);
  for (const f of [...inputs].sort()) h.update(`${f}\0`).update(await readFile(join(ROOT, f)));
  return h.digest('hex').slice(0, 16);
}

/**
 * The path of a bundle of `entry` (a .ts file relative to the project folder) that matches the
 * sources as they are now, building it when none does. Third-party packages stay imports
 * (resolved from node_modules beside the bundle), so only our own code is inlined.
 */
export async function bundledEntry(entry: string, name: string): Promise<string> {
  const manifest = join(CACHE, `${name}.inputs.json`);
  // The inputs of the last build: if none of them changed, neither did the set of inputs (a new
  // import is an edit of a file already among them).
  const last = await readFile(manifest, 'utf8')
    .then((t) => JSON.parse(t) as string[])
    .catch(() => null);
  if (last) {
    const file = join(CACHE, `${name}-${await keyOf(last).catch(() => 'gone')}.mjs`);
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  await mkdir(CACHE, { recursive: true });
  const tmp = join(CACHE, `${name}.${process.pid}.${Date.now()}.tmp.mjs`);
  try {
    const result = await build({
      entryPoints: [join(ROOT, entry)],
      absWorkingDir: ROOT,
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
      plugins: [ownUrl],
    });
    const inputs = Object.keys(result.metafile.inputs);
    const file = join(CACHE, `${name}-${await keyOf(inputs)}.mjs`);
    // rename is atomic: a runner that reads the name sees a whole file, whoever built it.
    await rename(tmp, file);
    await writeFile(`${manifest}.${process.pid}.tmp`, JSON.stringify(inputs));
    await rename(`${manifest}.${process.pid}.tmp`, manifest);
    return file;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Whether a process argument is a job process's script (tests find job processes in /proc by it). */
export const isJobScript = (arg: string) => arg === TSX_ENTRY || /\/job-[0-9a-f]{16}\.mjs$/.test(arg);

/** The script a job process runs: the bundle of workers/main.ts, or the tsx entry when it cannot be built. */
export async function jobEntry(log: Logger): Promise<string> {
  try {
    return await bundledEntry('workers/main.ts', 'job');
  } catch (err) {
    log.warn(`job processes start through tsx (no prebuilt bundle: ${err instanceof Error ? err.message : String(err)})`);
    return TSX_ENTRY;
  }
}
