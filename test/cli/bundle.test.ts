// The prebuilt bundles the `bonsai` command and job processes start from (src/bundle.mjs): each
// module still finds the files beside its source, a build is reused while its sources are
// unchanged, and an edited source gets a new build that runs the new code.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledEntry } from '../../src/bundle.mjs';
import { jobBundle } from '../../workers/bundle.js';
import { repoRoot } from '../helpers/bonsai.js';

const run = promisify(execFile);
const cache = join(repoRoot, 'node_modules', '.cache', 'bonsai');
// Bare imports resolve from the project's node_modules, so a scratch entry lives under it too.
const scratch = join(repoRoot, 'node_modules', '.cache', `bonsai-test-${process.pid}`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('bundles of our TypeScript', () => {
  it('the CLI bundle reads ../package.json beside src/version.ts, not beside the bundle', async () => {
    const cli = await bundledEntry('src/cli/main.ts', 'cli', { inline: true });
    expect(cli.startsWith(`${cache}/cli-`)).toBe(true);
    const { stdout } = await run(process.execPath, [cli, '--version']);
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  });

  it('the job bundle runs workers/main.ts (its usage line without a job id)', async () => {
    const job = await jobBundle();
    expect(job.startsWith(`${cache}/job-`)).toBe(true);
    const err = await run(process.execPath, [job]).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2, stderr: expect.stringContaining('usage: workers/main.ts JOB_ID') });
  });

  it("a job process loads pg without Node's undici (navigator defined before pg, src/nodeNavigator.mjs)", async () => {
    // The job's modules load, then it fails on a database nobody listens on; on exit it says
    // whether undici was loaded (pg's Cloudflare probe builds a Response when Node has no navigator).
    const home = join(scratch, 'job-home');
    mkdirSync(home, { recursive: true });
    const report = "process.on('exit', () => console.error('undici loaded:', process.moduleLoadList.some((m) => m.includes('undici'))))";
    const err = await run(
      process.execPath,
      ['--import', `data:text/javascript,${report}`, await jobBundle(), '01a24a3b-d836-776c-b4b7-1a545cf2a57f'],
      {
        env: {
          ...process.env,
          BONSAI_HOME: home,
          BONSAI_ARTIFACTS_DIR: join(home, 'artifacts'),
          DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none',
        },
      },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1, stderr: expect.stringContaining("Can't reach database server") });
    expect(err.stderr).toContain('undici loaded: false');
  });

  it('the job bundle has its packages inlined, but for those that load files beside their own', async () => {
    const dir = join(await jobBundle(), '..');
    const imported = new Set<string>();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.mjs'))) {
      const code = readFileSync(join(dir, f), 'utf8');
      // esbuild's own output: a static import at the start of a line, a dynamic one as import("…")
      // (an inlined package's documentation strings show imports too, indented and single-quoted).
      for (const m of code.matchAll(/^import [^;]*?from "([^"./][^"]*)";$|\bimport\("([^"./][^"]*)"\)/gm)) imported.add((m[1] ?? m[2])!);
    }
    const packages = [...imported].filter((p) => !p.startsWith('node:'));
    // What every job loads before its task, and the S3 client, no longer resolved and parsed by Node one file at a time.
    for (const p of ['zod', 'pg', 'pg-boss', '@prisma/adapter-pg', '@prisma/client/runtime/client', '@aws-sdk/client-s3', 'onnx-proto'])
      expect(packages).not.toContain(p);
    // A native addon and Prisma's WebAssembly stay where their files are.
    expect(packages).toContain('onnxruntime-node');
    expect(packages).toContain('@prisma/client/runtime/query_compiler_fast_bg.postgresql.wasm-base64.mjs');
  });

  it('the job bundle keeps of zod only what the schemas reach: no locale but English, no JSON-schema reader', async () => {
    // esbuild marks each inlined module with a `// node_modules/…` line; `import { z } from 'zod'`
    // anywhere would bring every locale back (src/bundle.mjs).
    const dir = join(await jobBundle(), '..');
    const modules = readdirSync(dir)
      .filter((n) => n.endsWith('.mjs'))
      .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/^\/\/ (node_modules\/zod\/\S+)$/gm)].map((m) => m[1]!));
    // The schemas themselves are inlined (zod/v4/classic/schemas.js), English messages with them.
    expect(modules).toContain('node_modules/zod/v4/classic/schemas.js');
    expect(modules).toContain('node_modules/zod/v4/locales/en.js');
    expect(modules.filter((m) => m.includes('/locales/') && !m.endsWith('/locales/en.js'))).toEqual([]);
    expect(modules).not.toContain('node_modules/zod/v4/classic/from-json-schema.js');
  });

  it('a name is built with its packages inlined or imported, as asked; asking the other way builds again, and both run', async () => {
    mkdirSync(scratch, { recursive: true });
    const entry = join(scratch, 'pkg.ts');
    // A package that is CommonJS (pg) and one that is an ES module (zod), one of Node's modules through require (pg's own).
    writeFileSync(
      entry,
      "import pg from 'pg';\nimport { z } from 'zod';\nconsole.log(z.number().parse(typeof pg.Client === 'function' ? 7 : 0));\n",
    );
    const relative = entry.slice(repoRoot.length).replace(/^\//, '');
    const name = `test-pkg-${process.pid}`;
    const imported = await bundledEntry(relative, name);
    const inlined = await bundledEntry(relative, name, { inline: true });
    expect(inlined).not.toBe(imported);
    expect(await bundledEntry(relative, name, { inline: true })).toBe(inlined);
    expect(readFileSync(imported, 'utf8')).toMatch(/from ["']zod["']/);
    expect(readFileSync(inlined, 'utf8')).not.toMatch(/from ["'](zod|pg)["']/);
    for (const b of [imported, inlined]) expect((await run(process.execPath, [b])).stdout.trim()).toBe('7');
    rmSync(join(cache, `${name}.inputs.json`), { force: true });
    for (const f of [imported, inlined]) rmSync(join(f, '..'), { recursive: true, force: true });
  });

  it('reuses a build while its sources are unchanged and rebuilds when one changes', async () => {
    mkdirSync(scratch, { recursive: true });
    const entry = join(scratch, 'entry.ts');
    const dep = join(scratch, 'answer.ts');
    writeFileSync(entry, "import { answer } from './answer.js';\nconsole.log(answer);\n");
    writeFileSync(dep, 'export const answer: number = 41;\n');
    const relative = entry.slice(repoRoot.length).replace(/^\//, '');
    const name = `test-${process.pid}`;
    const first = await bundledEntry(relative, name);
    const built = statSync(first).mtimeMs;
    expect(await bundledEntry(relative, name)).toBe(first);
    expect(statSync(first).mtimeMs).toBe(built);
    expect((await run(process.execPath, [first])).stdout.trim()).toBe('41');
    // An edit of a module the entry imports, not of the entry itself.
    writeFileSync(dep, 'export const answer: number = 42;\n');
    const second = await bundledEntry(relative, name);
    expect(second).not.toBe(first);
    expect((await run(process.execPath, [second])).stdout.trim()).toBe('42');
    rmSync(join(cache, `${name}.inputs.json`), { force: true });
    for (const f of [first, second]) rmSync(join(f, '..'), { recursive: true, force: true });
  });

  it('a source edited while a build runs is not served from that build: the next start rebuilds and runs the edit', async () => {
    mkdirSync(scratch, { recursive: true });
    const entry = join(scratch, 'race.ts');
    writeFileSync(entry, 'console.log(1);\n');
    const relative = entry.slice(repoRoot.length).replace(/^\//, '');
    const name = `test-race-${process.pid}`;
    // The build read `console.log(1)`; the file says 2 by the time the build is keyed.
    const first = await bundledEntry(relative, name, { onBuilt: async () => writeFileSync(entry, 'console.log(2);\n') });
    expect((await run(process.execPath, [first])).stdout.trim()).toBe('1');
    const second = await bundledEntry(relative, name);
    expect(second).not.toBe(first);
    expect((await run(process.execPath, [second])).stdout.trim()).toBe('2');
    rmSync(join(cache, `${name}.inputs.json`), { force: true });
    for (const f of [first, second]) rmSync(join(f, '..'), { recursive: true, force: true });
  });

  it('a bundle built from inside a bundle (the CLI starting a job) is in the same cache and keeps each module’s import.meta.url', async () => {
    mkdirSync(scratch, { recursive: true });
    const inner = join(scratch, 'inner.ts');
    const outer = join(scratch, 'outer.ts');
    const rel = (f: string) => f.slice(repoRoot.length).replace(/^\//, '');
    // import.meta.url still its source's in a bundle built by a bundle (the CLI's starting a job).
    writeFileSync(inner, "import { fileURLToPath } from 'node:url';\nconsole.log(fileURLToPath(new URL('.', import.meta.url)));\n");
    writeFileSync(
      outer,
      `import { bundledEntry } from '${join(repoRoot, 'src', 'bundle.mjs')}';\nconsole.log(await bundledEntry('${rel(inner)}', 'test-inner-${process.pid}'));\n`,
    );
    const built = await bundledEntry(rel(outer), `test-outer-${process.pid}`);
    const innerBundle = (await run(process.execPath, [built])).stdout.trim();
    expect(innerBundle.startsWith(`${cache}/test-inner-${process.pid}-`)).toBe(true);
    expect((await run(process.execPath, [innerBundle])).stdout.trim()).toBe(`${scratch}/`);
    for (const n of ['inner', 'outer']) {
      rmSync(join(cache, `test-${n}-${process.pid}.inputs.json`), { force: true });
    }
    rmSync(join(built, '..'), { recursive: true, force: true });
    rmSync(join(innerBundle, '..'), { recursive: true, force: true });
  });
});
