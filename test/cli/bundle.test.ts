// The prebuilt bundles the `bonsai` command and job processes start from (src/bundle.mjs): each
// module still finds the files beside its source, a build is reused while its sources are
// unchanged, and an edited source gets a new build that runs the new code.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledEntry } from '../../src/bundle.mjs';
import { isJobScript, TSX_ENTRY } from '../../workers/bundle.js';
import { repoRoot } from '../helpers/bonsai.js';

const run = promisify(execFile);
const cache = join(repoRoot, 'node_modules', '.cache', 'bonsai');
// Bare imports resolve from the project's node_modules, so a scratch entry lives under it too.
const scratch = join(repoRoot, 'node_modules', '.cache', `bonsai-test-${process.pid}`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('bundles of our TypeScript', () => {
  it('the CLI bundle reads ../package.json beside src/version.ts, not beside the bundle', async () => {
    const cli = await bundledEntry('src/cli/main.ts', 'cli');
    expect(cli.startsWith(`${cache}/cli-`)).toBe(true);
    const { stdout } = await run(process.execPath, [cli, '--version']);
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  });

  it('the job bundle runs workers/main.ts (its usage line without a job id) and is what the tests look for', async () => {
    const job = await bundledEntry('workers/main.ts', 'job');
    expect(isJobScript(job)).toBe(true);
    expect(isJobScript(TSX_ENTRY)).toBe(true);
    expect(isJobScript(join(repoRoot, 'src', 'cli', 'bonsai.mjs'))).toBe(false);
    const err = await run(process.execPath, [job]).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2, stderr: expect.stringContaining('usage: workers/main.ts JOB_ID') });
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
