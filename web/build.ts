// The catalog's build (web/dist), made only when a source it was built from changed: by
// `npm run build:web` (and so by `npm install`) and by each test run, for the browser tests
// (test/e2e) to load. A build records its inputs, so a test run right after `npm install` (CI)
// uses the build that install made instead of making it again (~5-7 CPU-s before any file runs). Each e2e file used to run `npm run build:web`
// itself: 5.8 CPU-s a time (issue 28), and one file emptying web/dist while the other's server
// served from it. The build is keyed as src/bundle.mjs keys its bundles: a hash of every file the
// build read (Rollup's module ids, which include the sources outside web/, such as
// src/eval/comparable.ts), the configuration and the lockfile; and the web/dist/index.html it made
// (asset names carry content hashes), so a build made since by `npm run build:web` is rebuilt once.
// A build during which one of its inputs was edited is used but not recorded: the next run builds again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Plugin } from 'vite';

const ROOT = join(import.meta.dirname, '..');
const WEB = join(ROOT, 'web');
const DIST = join(WEB, 'dist');
const CACHE = join(ROOT, 'node_modules', '.cache', 'bonsai');
const RECORD = join(CACHE, 'web-dist.json');
/** Read by every build whatever it imports. */
const ALWAYS = ['web/vite.config.ts', 'web/tsconfig.json', 'web/index.html', 'package-lock.json'];

interface WebBuild {
  /** The inputs' hash when the build was made. */
  key: string;
  /** The files the build read, relative to the project folder. */
  inputs: string[];
  /** sha256 of the web/dist/index.html the build wrote. */
  index: string;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function keyOf(inputs: readonly string[]): string | undefined {
  const h = createHash('sha256');
  for (const f of [...inputs].sort()) {
    const path = join(ROOT, f);
    // A file the last build read is gone: the sources changed.
    if (!existsSync(path)) return undefined;
    h.update(`${f}\0`).update(readFileSync(path));
  }
  return h.digest('hex');
}

function fresh(): boolean {
  const index = join(DIST, 'index.html');
  if (!existsSync(RECORD) || !existsSync(index)) return false;
  try {
    const r = JSON.parse(readFileSync(RECORD, 'utf8')) as WebBuild;
    return r.index === sha256(readFileSync(index)) && r.key === keyOf(r.inputs);
  } catch {
    // A record cut short (a run killed while writing it): build again.
    return false;
  }
}

/** Builds web/dist unless it was built from the sources as they are; says what went wrong, if anything. */
export async function buildWeb(): Promise<string | undefined> {
  if (fresh()) return undefined;
  const inputs = new Set(ALWAYS);
  const recorder: Plugin = {
    name: 'record-inputs',
    buildEnd() {
      for (const id of this.getModuleIds()) {
        const path = id.split('?')[0]!;
        if (id.startsWith('\0') || !path.startsWith(ROOT + sep) || path.includes(`${sep}node_modules${sep}`)) continue;
        inputs.add(relative(ROOT, path).split(sep).join('/'));
      }
    },
  };
  // Built elsewhere and moved into place, so a server started by another run meanwhile never finds
  // web/dist half written (vite empties its output folder first).
  const out = join(CACHE, `web-dist-${process.pid}`);
  // A second early for mtimes that the file system rounds.
  const started = Date.now() - 1000;
  try {
    mkdirSync(CACHE, { recursive: true });
    const { build } = await import('vite');
    await build({
      configFile: join(WEB, 'vite.config.ts'),
      logLevel: 'warn',
      plugins: [recorder],
      build: { outDir: out, emptyOutDir: true },
    });
    const key = keyOf([...inputs]);
    const edited = key !== undefined && [...inputs].some((f) => statSync(join(ROOT, f)).mtimeMs >= started);
    const old = join(CACHE, `web-dist-old-${process.pid}`);
    try {
      renameSync(DIST, old);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    try {
      renameSync(out, DIST);
    } catch (e) {
      // Another run, building at the same time, put its build there first: the same sources, kept.
      if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      rmSync(out, { recursive: true, force: true });
    }
    rmSync(old, { recursive: true, force: true });
    rmSync(RECORD, { force: true });
    if (edited || key === undefined) return undefined;
    const record: WebBuild = { key, inputs: [...inputs].sort(), index: sha256(readFileSync(join(DIST, 'index.html'))) };
    writeFileSync(RECORD, JSON.stringify(record, null, 1));
    return undefined;
  } catch (e) {
    rmSync(out, { recursive: true, force: true });
    return e instanceof Error ? e.message : String(e);
  }
}

// `npm run build:web`: builds unless fresh; exits non-zero with the reason if the build failed.
if (process.argv[1] && join(process.argv[1]) === join(import.meta.dirname, 'build.ts')) {
  const problem = await buildWeb();
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
