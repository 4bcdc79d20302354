// No file outside the import roots can be published (issue 26, items 2 and 11). Every file a
// registration reads is opened through src/formats/regularFile.ts with the roots, at any depth:
// a sentence-transformers module config, a shard the index names, a Hugging Face cache refs file.
// A link out of the roots is FORBIDDEN whether or not its target exists (the same answer, so the
// server's file system cannot be probed), and nothing is stored or served. The property at the end
// builds random checkpoint trees with links at every depth and checks every outcome.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inside } from '../../src/formats/roots.js';
import { SafetensorsFile } from '../../src/formats/safetensors/reader.js';
import { parseHfReference } from '../../src/registry/hfCache.js';
import { resolveDataFile } from '../../src/registry/importPath.js';
import { copySharedModel, sharedModel } from '../fixtures/checkpoints.js';
import {
  BENIGN,
  blobsLeft,
  buildTree,
  COMMIT,
  expectedOutcome,
  FILE_KINDS,
  type FileKind,
  HOSTILE,
  hubCacheOf,
  kindsOf,
  POOLING_CONFIG,
  STYLES,
  sentenceTransformers,
  served,
  type TreeSpec,
  writeContents,
} from '../fixtures/folderTrees.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;
const root = tempDir('bonsai-folders-');
const outside = tempDir('bonsai-outside-');
const hub = join(root, 'hf', 'hub');
/** Stands in for /etc/hostname: a file of the host that must never be published. */
const SECRET = join(outside, 'hostname');
const SECRET_TEXT = 'secret-host-7f3a\n';

const REGISTER = 'mutation($p: String!, $n: String!) { registerModel(path: $p, name: $n) { model { id } } }';

async function register(path: string, name: string) {
  return api.gql<{ registerModel: { model: { id: string } } }>(REGISTER, { p: path, n: name });
}

/** The error's message with the case's own folder and file names taken out: the shape of the answer. */
const shape = (message: string | undefined, ...names: string[]) => names.reduce((m, n) => m.split(n).join('<name>'), message ?? '');

/** Every blob in the store belongs to a stored file, and the store's tmp/ is empty. */
async function expectNothingLeftBehind() {
  const referenced = new Set((await api.db.prisma.artifactFile.findMany({ select: { sha256: true } })).map((f) => f.sha256));
  expect(blobsLeft(api).filter((b) => !referenced.has(b))).toEqual([]);
  const tmp = join(api.registry.store.root, 'tmp');
  expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
}

async function expectRefusedAndNothingStored(path: string, name: string, code: string, message: RegExp) {
  const models = await api.db.prisma.model.count();
  const r = await register(path, name);
  expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r.errors)).toBe(code);
  expect(r.errors?.[0]?.message).toMatch(message);
  expect(JSON.stringify(r)).not.toContain(SECRET_TEXT.trim());
  expect(await api.db.prisma.model.count()).toBe(models);
  expect(await api.db.prisma.artifact.count()).toBe(models);
  await expectNothingLeftBehind();
  return r;
}

beforeAll(async () => {
  writeFileSync(SECRET, SECRET_TEXT);
  mkdirSync(hub, { recursive: true });
  api = await startTestApi({ modelRoots: [root], hubCache: hub });
});

afterAll(async () => {
  await api?.close();
});

describe('the attack of issue 26: a module config linking out of the roots', () => {
  it('1_Pooling/config.json -> a host file: FORBIDDEN, nothing stored, nothing served', async () => {
    const dir = sentenceTransformers(copySharedModel(join(root, 'st-attack')));
    rmSync(join(dir, '1_Pooling', 'config.json'));
    symlinkSync(SECRET, join(dir, '1_Pooling', 'config.json'));
    await expectRefusedAndNothingStored(dir, 'folders/st-attack', 'FORBIDDEN', /1_Pooling\/config\.json leads outside the allowed roots/);
    const res = await fetch(`${api.server.url}/models/folders/st-attack/resolve/1_Pooling/config.json`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(SECRET_TEXT.trim());
  });

  it('1_Pooling itself a link to an outside folder: FORBIDDEN', async () => {
    const dir = sentenceTransformers(copySharedModel(join(root, 'st-dir')));
    rmSync(join(dir, '1_Pooling'), { recursive: true });
    mkdirSync(join(outside, 'pooling'));
    writeFileSync(join(outside, 'pooling', 'config.json'), JSON.stringify(POOLING_CONFIG));
    symlinkSync(join(outside, 'pooling'), join(dir, '1_Pooling'));
    await expectRefusedAndNothingStored(dir, 'folders/st-dir', 'FORBIDDEN', /leads outside the allowed roots/);
  });

  it('a link to a missing outside file gets the same answer as one to an existing file', async () => {
    const answers = [];
    for (const [name, target] of [
      ['exists', SECRET],
      ['missing', join(outside, 'no-such-file')],
    ] as const) {
      const dir = sentenceTransformers(copySharedModel(join(root, `st-${name}`)));
      rmSync(join(dir, '1_Pooling', 'config.json'));
      symlinkSync(target, join(dir, '1_Pooling', 'config.json'));
      const r = await expectRefusedAndNothingStored(dir, `folders/st-${name}`, 'FORBIDDEN', /leads outside/);
      answers.push({ code: r.errors?.[0]?.extensions?.code, message: shape(r.errors?.[0]?.message, `st-${name}`) });
    }
    expect(answers[0]).toEqual(answers[1]);
  });

  it('the same at the top of the folder, and for data files', async () => {
    const answers = [];
    for (const [name, target] of [
      ['top-exists', SECRET],
      ['top-missing', join(outside, 'no-such-file')],
    ] as const) {
      const dir = copySharedModel(join(root, name));
      symlinkSync(target, join(dir, 'LICENSE'));
      const r = await expectRefusedAndNothingStored(dir, `folders/${name}`, 'FORBIDDEN', /outside the allowed/);
      answers.push(shape(r.errors?.[0]?.message, name));
    }
    expect(answers[0]).toBe(answers[1]);
    symlinkSync(SECRET, join(root, 'data-exists.txt'));
    symlinkSync(join(outside, 'no-such-file'), join(root, 'data-missing.txt'));
    const data = await Promise.all(
      ['data-exists.txt', 'data-missing.txt'].map((f) =>
        resolveDataFile(join(root, f), [root], 'recipe.calibration').then(
          () => null,
          (err: { code: string; message: string }) => ({ code: err.code, message: shape(err.message, f) }),
        ),
      ),
    );
    expect(data[0]).toEqual({ code: 'FORBIDDEN', message: expect.stringMatching(/leads outside the allowed roots/) });
    expect(data[1]).toEqual(data[0]);
  });
});

describe('module configs named by modules.json', () => {
  it.each([
    ['missing (a Pooling module cannot load without it)', (f: string) => rmSync(f), /missing; sentence-transformers/],
    ['a FIFO', (f: string) => execFileSync('sh', ['-c', `rm "${f}" && mkfifo "${f}"`]), /not a regular file/],
    ['over 1 MiB', (f: string) => writeFileSync(f, `{"x": "${'a'.repeat(1 << 20)}"}`), /more than/],
    ['not JSON', (f: string) => writeFileSync(f, '{pooling'), /not valid JSON/],
  ])('%s: BAD_USER_INPUT naming the file', async (what, spoil, message) => {
    const name = `st-bad-${what.split(' ')[0]}`;
    const dir = sentenceTransformers(copySharedModel(join(root, name)));
    spoil(join(dir, '1_Pooling', 'config.json'));
    const started = performance.now();
    const r = await expectRefusedAndNothingStored(dir, `folders/${name}`, 'BAD_USER_INPUT', /1_Pooling\/config\.json/);
    expect(r.errors?.[0]?.message).toMatch(message);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('a module config linking inside the roots is stored with its content and served', async () => {
    const dir = sentenceTransformers(copySharedModel(join(root, 'st-inside')));
    const pool = join(root, 'pool-config.json');
    copyFileSync(join(dir, '1_Pooling', 'config.json'), pool);
    rmSync(join(dir, '1_Pooling', 'config.json'));
    symlinkSync(pool, join(dir, '1_Pooling', 'config.json'));
    const r = await register(dir, 'folders/st-inside');
    expect(r.errors).toBeUndefined();
    expect(await served(api, 'folders/st-inside', '1_Pooling/config.json')).toEqual(readFileSync(pool));
  });
});

describe('shards and the Hugging Face cache', () => {
  it('a shard named by the index that links out of the roots: FORBIDDEN, nothing stored', async () => {
    const dir = join(root, 'sharded');
    mkdirSync(dir);
    for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(sharedModel, f), join(dir, f));
    const shard = 'model-00001-of-00001.safetensors';
    const file = await SafetensorsFile.open(join(sharedModel, 'model.safetensors'));
    const weightMap = Object.fromEntries([...file.tensors.keys()].map((t) => [t, shard]));
    await file.close();
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    copyFileSync(join(sharedModel, 'model.safetensors'), join(outside, shard));
    symlinkSync(join(outside, shard), join(dir, shard));
    await expectRefusedAndNothingStored(dir, 'folders/sharded', 'FORBIDDEN', /model-00001-of-00001\.safetensors/);
  });

  it('refs/main linking out of the roots: FORBIDDEN, whether or not its target exists', async () => {
    const answers = [];
    for (const [name, target] of [
      ['refs-exists', join(outside, 'commit.txt')],
      ['refs-missing', join(outside, 'no-such-commit')],
    ] as const) {
      const repo = hubCacheOf(hub, `org/${name}`, sharedModel);
      writeFileSync(join(outside, 'commit.txt'), COMMIT);
      rmSync(join(repo, 'refs', 'main'));
      symlinkSync(target, join(repo, 'refs', 'main'));
      const r = await expectRefusedAndNothingStored(`hf://org/${name}`, `folders/${name}`, 'FORBIDDEN', /refs\/main leads outside/);
      answers.push(shape(r.errors?.[0]?.message, name));
    }
    expect(answers[0]).toBe(answers[1]);
  });

  it('the repository folder or the snapshot linking out of the roots: FORBIDDEN, whether or not the target exists', async () => {
    const outsideRepo = hubCacheOf(outside, 'org/elsewhere', sharedModel);
    const cases: Array<[string, (repo: string) => void]> = [
      ['snap-exists', (repo) => symlinkSync(join(outsideRepo, 'snapshots', COMMIT), join(repo, 'snapshots', COMMIT))],
      ['snap-missing', (repo) => symlinkSync(join(outside, 'no-such-snapshot'), join(repo, 'snapshots', COMMIT))],
    ];
    const answers = [];
    for (const [name, spoil] of cases) {
      const repo = hubCacheOf(hub, `org/${name}`, sharedModel);
      rmSync(join(repo, 'snapshots', COMMIT), { recursive: true });
      spoil(repo);
      const r = await expectRefusedAndNothingStored(`hf://org/${name}`, `folders/${name}`, 'FORBIDDEN', /leads outside the allowed roots/);
      answers.push(shape(r.errors?.[0]?.message, name));
    }
    expect(answers[0]).toBe(answers[1]);
    for (const [name, target] of [
      ['repo-exists', outsideRepo],
      ['repo-missing', join(outside, 'no-such-repo')],
    ] as const) {
      symlinkSync(target, join(hub, `models--org--${name}`));
      const r = await expectRefusedAndNothingStored(`hf://org/${name}`, `folders/${name}`, 'FORBIDDEN', /leads outside the allowed roots/);
      answers.push(shape(r.errors?.[0]?.message, name));
    }
    expect(answers[2]).toBe(answers[3]);
  });

  it('"--" in a repository id is refused, so two ids cannot share one cache folder', async () => {
    hubCacheOf(hub, 'org--x/name', sharedModel);
    for (const ref of ['hf://org--x/name', 'hf://org/x--name', 'hf://org-x/na--me', 'hf://a--b']) {
      expect(() => parseHfReference(ref)).toThrow(/"--" is not allowed/);
      await expectRefusedAndNothingStored(ref, 'folders/dashes', 'BAD_USER_INPUT', /"--" is not allowed in a Hub repository id/);
    }
    expect(parseHfReference('hf://org-x/na-me').repoId).toBe('org-x/na-me');
  });
});

describe('Keep it fixed: random folders with links at every depth', () => {
  const SEED = Number(process.env.BONSAI_FC_SEED ?? 20261204);
  const RUNS = 24;
  const folders = join(root, 'trees');
  const pool = join(root, 'pool');

  const placement = fc.record({ placement: fc.constantFrom(...BENIGN), style: fc.constantFrom(...STYLES) });
  const layout = fc.record({
    sharded: fc.boolean(),
    sentence: fc.boolean(),
    viaHub: fc.boolean(),
    files: fc.record(Object.fromEntries(FILE_KINDS.map((k) => [k, placement])) as Record<FileKind, typeof placement>),
  });
  // The file below the top (the only one resolveImportPath does not see) is made hostile a third of the time.
  const hostileKind = (spec: TreeSpec): fc.Arbitrary<FileKind> =>
    spec.sentence
      ? fc.oneof(
          { arbitrary: fc.constantFrom(...kindsOf(spec)), weight: 2 },
          { arbitrary: fc.constant('1_Pooling/config.json' as const), weight: 1 },
        )
      : fc.constantFrom(...kindsOf(spec));
  // Up to two files of the layout made hostile, so that about a third of the trees are clean and must be stored.
  const trees: fc.Arbitrary<TreeSpec> = layout.chain((spec) =>
    fc
      .uniqueArray(fc.record({ kind: hostileKind(spec), placement: fc.constantFrom(...HOSTILE), style: fc.constantFrom(...STYLES) }), {
        maxLength: 2,
        selector: (h) => h.kind,
      })
      .map((hostile) => ({
        ...spec,
        files: { ...spec.files, ...Object.fromEntries(hostile.map((h) => [h.kind, { placement: h.placement, style: h.style }])) },
      })),
  );

  it(`${RUNS} trees (seed ${SEED}): refused with a 4xx code, or stored as regular files under the roots, byte for byte as served`, async () => {
    const file = await SafetensorsFile.open(join(sharedModel, 'model.safetensors'));
    const tensorNames = [...file.tensors.keys()];
    await file.close();
    const places = { pool, outside, contents: await writeContents(join(root, 'contents'), tensorNames) };
    const realRoot = realpathSync(root);
    let n = 0;
    const seen = { stored: 0, FORBIDDEN: 0, BAD_USER_INPUT: 0 };
    await fc.assert(
      fc.asyncProperty(trees, async (spec) => {
        const caseName = `t${n++}`;
        const { path, dir } = buildTree(spec, places, caseName, folders, hub);
        const expected = expectedOutcome(spec);
        const models = await api.db.prisma.model.count();
        const started = performance.now();
        const r = await register(path, `folders/${caseName}`);
        expect(performance.now() - started).toBeLessThan(5000);
        if (expected.outcome === 'refused') {
          const code = r.errors?.[0]?.extensions?.code ?? 'stored';
          expect(expected.codes, JSON.stringify(r.errors ?? r.data)).toContain(code);
          seen[code as 'FORBIDDEN']++;
          expect(await api.db.prisma.model.count()).toBe(models);
        } else {
          expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
          seen.stored++;
          const rows = await api.db.prisma.artifactFile.findMany({ where: { artifact: { model: { name: caseName } } } });
          expect(rows.map((f) => f.path).sort()).toEqual([...expected.files].sort());
          for (const row of rows) {
            // The file stored is a regular file under the root, and the store's blob is its content.
            const real = realpathSync(join(dir, row.path));
            expect(inside(realRoot, real), `${row.path} -> ${real}`).toBe(true);
            expect(lstatSync(real).isFile()).toBe(true);
            const bytes = readFileSync(real);
            expect(createHash('sha256').update(bytes).digest('hex')).toBe(row.sha256);
            expect((await api.registry.store.readBlobBytes(row.sha256)).equals(bytes), row.path).toBe(true);
            // And the Hub route serves it (README.md excepted: the Hub route serves the card rendered
            // from the registry under that name).
            if (row.path !== 'README.md') expect((await served(api, `folders/${caseName}`, row.path)).equals(bytes), row.path).toBe(true);
          }
        }
        await expectNothingLeftBehind();
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // The generator reaches every outcome (a property that only ever refused would prove little).
    console.log(`folder trees: ${JSON.stringify(seen)}`);
    expect(seen.stored).toBeGreaterThan(0);
    expect(seen.FORBIDDEN).toBeGreaterThan(0);
    expect(seen.BAD_USER_INPUT).toBeGreaterThan(0);
  }, 60_000);
});
