// Registering checkpoints as users keep them: a Hugging Face hub cache (snapshot folders of links
// into ../../blobs/, built here by hand in huggingface_hub's layout), hf:// references resolved
// offline, links inside a folder, and folders with files that are not part of a checkpoint.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;
let roots: string;
let hubCache: string;
const COMMIT = 'a'.repeat(40);
const OLD_COMMIT = 'b'.repeat(40);
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

const REGISTER = `mutation($path: String!, $name: String!) {
  registerModel(path: $path, name: $name) {
    model { name status parameterCount files { path sha256 size } }
    skippedFiles { path size reason }
  }
}`;
type Registered = {
  registerModel: {
    model: { name: string; status: string; parameterCount: string; files: Array<{ path: string; sha256: string; size: string }> };
    skippedFiles: Array<{ path: string; size: string | null; reason: string }>;
  };
};

/** huggingface_hub's cache layout: blobs by hash, snapshots/<commit>/<file> → ../../blobs/<hash>, refs/main. */
function buildHubCache(cache: string, repoId: string, source: string): string {
  const repo = join(cache, `models--${repoId.replace('/', '--')}`);
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(join(repo, 'refs'), { recursive: true });
  for (const commit of [OLD_COMMIT, COMMIT]) {
    const snap = join(repo, 'snapshots', commit);
    mkdirSync(snap, { recursive: true });
    for (const f of readdirSync(source)) {
      const hash = sha256(join(source, f));
      if (!existsSync(join(repo, 'blobs', hash))) cpSync(join(source, f), join(repo, 'blobs', hash));
      symlinkSync(join('..', '..', 'blobs', hash), join(snap, f));
    }
  }
  writeFileSync(join(repo, 'refs', 'main'), COMMIT);
  return join(repo, 'snapshots', COMMIT);
}

beforeAll(async () => {
  roots = tempDir('bonsai-roots-');
  hubCache = join(roots, 'hf', 'hub');
  buildHubCache(hubCache, 'bible/tiny-llama-kjv', sharedModel);
  api = await startTestApi({ modelRoots: [roots], hubCache });
});
afterAll(async () => {
  await api.close();
});

describe('the Hugging Face cache', () => {
  it('registers a snapshot folder of links, storing each link’s content under its own name', async () => {
    const snapshot = join(hubCache, 'models--bible--tiny-llama-kjv', 'snapshots', COMMIT);
    const r = await api.gql<Registered>(REGISTER, { path: snapshot, name: 'hf/snapshot' });
    expect(r.errors).toBeUndefined();
    const m = r.data!.registerModel.model;
    expect(m).toMatchObject({ status: 'READY', parameterCount: '8800704' });
    // reference.json is not a checkpoint file; everything else is stored with the blob's hash.
    const expected = readdirSync(sharedModel)
      .filter((f) => f !== 'reference.json')
      .sort();
    expect(m.files.map((f) => f.path).sort()).toEqual(expected);
    for (const f of m.files) {
      expect(f.sha256).toBe(sha256(join(sharedModel, f.path)));
      expect(readdirSync(join(hubCache, 'models--bible--tiny-llama-kjv', 'blobs'))).toContain(f.sha256);
    }
    expect(r.data!.registerModel.skippedFiles).toEqual([
      {
        path: 'reference.json',
        size: String(statSync(join(sharedModel, 'reference.json')).size),
        reason: 'not a file of a Hugging Face checkpoint',
      },
    ]);
  });

  it('resolves hf://ORG/NAME (refs/main) and hf://ORG/NAME@REVISION offline', async () => {
    const main = await api.gql<Registered>(REGISTER, { path: 'hf://bible/tiny-llama-kjv', name: 'hf/main' });
    expect(main.errors).toBeUndefined();
    expect(main.data!.registerModel.model.status).toBe('READY');
    const pinned = await api.gql<Registered>(REGISTER, { path: `hf://bible/tiny-llama-kjv@${OLD_COMMIT}`, name: 'hf/pinned' });
    expect(pinned.errors).toBeUndefined();
    const weights = pinned.data!.registerModel.model.files.find((f) => f.path === 'model.safetensors')!;
    expect(weights.sha256).toBe(sha256(join(sharedModel, 'model.safetensors')));
  });

  it('refuses unknown repositories, revisions and malformed references, naming the path', async () => {
    for (const [ref, pattern] of [
      ['hf://nobody/nothing', /not in the Hugging Face cache/],
      ['hf://bible/tiny-llama-kjv@v9', /no revision v9/],
      ['hf://bible/../etc', /expected hf:\/\/ORG\/NAME/],
      ['hf://a/b/c', /expected hf:\/\/ORG\/NAME/],
    ] as const) {
      const r = await api.gql(REGISTER, { path: ref, name: 'hf/bad' });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'path' });
      expect(r.errors?.[0]?.message).toMatch(pattern);
    }
  });

  it('still refuses a snapshot whose links lead outside the allowed roots', async () => {
    const outside = tempDir('bonsai-outside-');
    const cache = join(outside, 'hub');
    const snapshot = buildHubCache(cache, 'x/y', sharedModel);
    const inRoots = join(roots, 'escaping-snapshot');
    mkdirSync(inRoots);
    for (const f of readdirSync(snapshot)) symlinkSync(join(snapshot, f), join(inRoots, f));
    const r = await api.gql(REGISTER, { path: inRoots, name: 'hf/escape' });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'path' });
  });
});

describe('relative paths (issue 32)', () => {
  it('a relative path is a folder under the import roots, not under the server’s working folder', async () => {
    cpSync(sharedModel, join(roots, 'models', 'tiny-llama-kjv'), { recursive: true });
    const r = await api.gql<Registered>(REGISTER, { path: 'models/tiny-llama-kjv', name: 'relative/tiny' });
    expect(r.errors).toBeUndefined();
    expect(r.data!.registerModel.model).toMatchObject({ status: 'READY', parameterCount: '8800704' });
    // Not under the roots: named there as missing, not "outside the allowed roots".
    const missing = await api.gql(REGISTER, { path: 'models/nothing-here', name: 'relative/missing' });
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'path' });
    expect(missing.errors?.[0]?.message).toMatch(/models\/nothing-here does not exist/);
    // `..` never climbs out of a root.
    const up = await api.gql(REGISTER, { path: '../tiny-llama-kjv', name: 'relative/up' });
    expect(up.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'path' });
  });
});

describe('the files of a checkpoint', () => {
  it('stores model.safetensors that links to another file of the folder under its own name, with the content', async () => {
    const dir = join(roots, 'linked-weights');
    cpSync(sharedModel, dir, { recursive: true });
    renameSync(join(dir, 'model.safetensors'), join(dir, 'weights.bin'));
    symlinkSync('weights.bin', join(dir, 'model.safetensors'));
    const r = await api.gql<Registered>(REGISTER, { path: dir, name: 'files/linked' });
    expect(r.errors).toBeUndefined();
    const weights = r.data!.registerModel.model.files.find((f) => f.path === 'model.safetensors');
    expect(weights?.sha256).toBe(sha256(join(sharedModel, 'model.safetensors')));
    expect(Number(weights?.size)).toBe(statSync(join(sharedModel, 'model.safetensors')).size);
    expect(await api.registry.store.hasBlob(weights!.sha256)).toBe(true);
    expect(r.data!.registerModel.skippedFiles.map((f) => f.path)).toContain('weights.bin');
  });

  it('leaves out optimizer states, pickles, training arguments and subfolders, and says why', async () => {
    const dir = join(roots, 'training-run');
    cpSync(sharedModel, dir, { recursive: true });
    // 2 GiB and sparse: storing it would cost 2 GB of real disk in the store.
    writeFileSync(join(dir, 'optimizer.pt'), '');
    truncateSync(join(dir, 'optimizer.pt'), 2 * 1024 ** 3);
    writeFileSync(join(dir, 'training_args.bin'), 'pickle');
    writeFileSync(join(dir, 'pytorch_model.bin'), 'pickle');
    mkdirSync(join(dir, 'checkpoint-500'));
    const before = storeBytes();
    const r = await api.gql<Registered>(REGISTER, { path: dir, name: 'files/training-run' });
    expect(r.errors).toBeUndefined();
    const skipped = Object.fromEntries(r.data!.registerModel.skippedFiles.map((f) => [f.path, f]));
    expect(skipped['optimizer.pt']).toMatchObject({ size: String(2 * 1024 ** 3), reason: 'training state, not part of the model' });
    expect(skipped['training_args.bin']?.reason).toBe('training state, not part of the model');
    expect(skipped['pytorch_model.bin']?.reason).toMatch(/pickled weights/);
    expect(skipped['checkpoint-500/']?.reason).toMatch(/subfolder/);
    expect(r.data!.registerModel.model.files.map((f) => f.path)).not.toContain('optimizer.pt');
    // The same checkpoint as the shared model: nothing new in the store.
    expect(storeBytes() - before).toBe(0);
  });

  it('fails, storing nothing, when a shard the index names is missing', async () => {
    const dir = join(roots, 'missing-shard');
    cpSync(sharedModel, dir, { recursive: true });
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: { 'model.embed_tokens.weight': 'model-00001-of-00002.safetensors' } }),
    );
    const before = storeBytes();
    const r = await api.gql(REGISTER, { path: dir, name: 'files/missing-shard' });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'path' });
    expect(r.errors?.[0]?.message).toMatch(/model-00001-of-00002\.safetensors: missing/);
    expect(storeBytes()).toBe(before);
    const found = await api.gql<{ model: unknown }>(`{ model(name: "files/missing-shard") { id } }`);
    expect(found.data?.model).toBeNull();
  });

  it('refuses a FIFO named config.json at once instead of blocking on it', async () => {
    const dir = join(roots, 'fifo-config');
    cpSync(sharedModel, dir, { recursive: true });
    rmSync(join(dir, 'config.json'));
    execFileSync('mkfifo', [join(dir, 'config.json')]);
    const r = await api.gql(REGISTER, { path: dir, name: 'files/fifo' });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'path' });
    expect(r.errors?.[0]?.message).toMatch(/config\.json: not a regular file/);
  });
});

/** The disk the store's objects take: whole blobs, manifests and the pieces of files stored in pieces. */
function storeBytes(): number {
  let n = 0;
  for (const kind of ['blobs', 'manifests', 'pieces']) {
    const base = join(api.registry.store.root, kind);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base)) for (const f of readdirSync(join(base, d))) n += statSync(join(base, d, f)).blocks * 512;
  }
  return n;
}
