// The Hub's write protocol, exercised with the Hub's own JavaScript client (@huggingface/hub):
// createRepo, uploadFiles of a checkpoint folder (its weights through the LFS batch API and a PUT,
// the rest inline in the NDJSON commit), downloads of what was uploaded, a second upload that sends
// no LFS object, a refused commit and an interrupted PUT that leave nothing behind, deleteFile and
// deleteRepo with and without the role, and lineage from an uploaded card's base_model.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRepo, deleteFile, deleteRepo, downloadFile, modelInfo, uploadFiles } from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardParents } from '../../src/registry/cardLineage.js';
import type { TokenRole } from '../../src/registry/tokens.js';
import { copySharedModel, sharedDir } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;
let hubUrl: string;
let folder: string;
const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A fetch that counts the requests the client makes, by method and path. */
function countingFetch(): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetch: (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      calls.push(`${init?.method ?? 'GET'} ${url.pathname}`);
      return fetch(input, init);
    },
  };
}

type ModelView = { status: string; kind: string; parameterCount: string | null; files: Array<{ path: string; sha256: string }> };
/** The model's row and files, read from the database (the API's catalog cache may lag a write). */
async function model(name: string): Promise<ModelView | null> {
  const [owner, short] = name.split('/');
  const row = await api.registry.prisma.model.findFirst({ where: { owner, name: short } });
  if (!row) return null;
  const files = row.artifactId
    ? await api.registry.prisma.artifactFile.findMany({ where: { artifactId: row.artifactId }, orderBy: { path: 'asc' } })
    : [];
  return {
    status: row.status,
    kind: row.kind,
    parameterCount: row.parameterCount?.toString() ?? null,
    files: files.map((f) => ({ path: f.path, sha256: f.sha256 })),
  };
}

/** The folder's files at the top of the repository (a folder URL would upload them under its name). */
const folderFiles = () => readdirSync(folder).map((f) => ({ path: f, content: pathToFileURL(join(folder, f)) }));

const storeState = () => ({
  blobs: api.registry.store.listBlobs().then((b) => b.sort()),
  tmp: readdirSync(join(api.registry.store.root, 'tmp'), { withFileTypes: true }).map((e) => e.name),
});

beforeAll(async () => {
  api = await startTestApi({ modelRoots: [sharedDir, tempDir('bonsai-hubw-roots-')] });
  hubUrl = api.server.url;
  folder = copySharedModel(join(tempDir('bonsai-hubw-'), 'tiny'));
});
afterAll(async () => {
  await api?.close();
});

describe('@huggingface/hub pushes to Bonsai', () => {
  it('createRepo, then uploadFiles of a checkpoint folder: READY, equal to registerModel of the folder, downloads equal', async () => {
    const { repoUrl } = await createRepo({ repo: 'up/tiny', accessToken: api.tokens.MAINTAINER, hubUrl });
    expect(repoUrl).toBe(`${hubUrl}/up/tiny`);
    expect((await model('up/tiny'))?.status).toBe('QUEUED');
    // Exists already: 409, as the Hub answers.
    await expect(createRepo({ repo: 'UP/Tiny', accessToken: api.tokens.MAINTAINER, hubUrl })).rejects.toThrow(/exists/);

    const counter = countingFetch();
    const out = await uploadFiles({
      repo: 'up/tiny',
      accessToken: api.tokens.MAINTAINER,
      hubUrl,
      files: folderFiles(),
      fetch: counter.fetch,
    });
    expect(out?.commit.oid).toMatch(/^[0-9a-f]{40}$/);
    // The commit id is the repository's new revision.
    expect((await modelInfo({ name: 'up/tiny', hubUrl, additionalFields: ['sha'] })).sha).toBe(out?.commit.oid);
    expect(counter.calls.filter((c) => c.startsWith('PUT '))).toHaveLength(1);

    // The same folder registered from disk: what the upload must be equal to.
    await api.register(join(sharedDir, 'models', 'tiny-llama-kjv'), 'disk/tiny');
    const up = await model('up/tiny');
    const disk = await model('disk/tiny');
    expect(up?.status).toBe('READY');
    expect(up?.kind).toBe('BASE');
    expect(up?.parameterCount).toBe(disk?.parameterCount);
    const byPath = (m: ModelView | null) => Object.fromEntries((m?.files ?? []).map((f) => [f.path, f.sha256]));
    expect(byPath(up)).toEqual(byPath(disk));
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) {
      const blob = await downloadFile({ repo: 'up/tiny', path: f, hubUrl });
      expect(sha256(new Uint8Array(await blob!.arrayBuffer())), f).toBe(sha256(readFileSync(join(folder, f))));
    }
  });

  it('a second upload of the same files sends no LFS object', async () => {
    const counter = countingFetch();
    await uploadFiles({ repo: 'up/tiny', accessToken: api.tokens.MAINTAINER, hubUrl, files: folderFiles(), fetch: counter.fetch });
    expect(counter.calls.some((c) => c.endsWith('/info/lfs/objects/batch'))).toBe(true);
    expect(counter.calls.filter((c) => c.startsWith('PUT '))).toEqual([]);
  });

  it('preupload: lfs for weights, regular for small files, the current oid; bodies under the JSON policy', async () => {
    const preupload = (body: string) =>
      fetch(`${hubUrl}/api/models/up/tiny/preupload/main`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${api.tokens.MAINTAINER}` },
        body,
      });
    const res = await preupload(
      JSON.stringify({ files: ['model.safetensors', 'config.json', 'new.json'].map((path) => ({ path, size: 100, sample: '' })) }),
    );
    const { files } = (await res.json()) as { files: Array<{ path: string; uploadMode: string; shouldIgnore: boolean; oid?: string }> };
    const weights = (await model('up/tiny'))!.files.find((f) => f.path === 'model.safetensors')!;
    const config = readFileSync(join(folder, 'config.json'));
    const gitOid = createHash('sha1').update(`blob ${config.length}\0`).update(config).digest('hex');
    expect(files).toEqual([
      { path: 'model.safetensors', uploadMode: 'lfs', shouldIgnore: false, oid: weights.sha256 },
      { path: 'config.json', uploadMode: 'regular', shouldIgnore: false, oid: gitOid },
      { path: 'new.json', uploadMode: 'regular', shouldIgnore: false },
    ]);
    const deep = await preupload(`{"files":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: string }).error).toMatch(/body: nested more than 128/);
  });

  it('a commit with a broken config.json is refused with 400 naming the file, and leaves no row and no blob', async () => {
    await createRepo({ repo: 'up/broken', accessToken: api.tokens.MAINTAINER, hubUrl });
    const before = await storeState().blobs;
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
    const broken = Buffer.from(JSON.stringify({ ...config, num_hidden_layers: 7 }));
    const err = await uploadFiles({
      repo: 'up/broken',
      accessToken: api.tokens.MAINTAINER,
      hubUrl,
      files: [...folderFiles().filter((f) => f.path !== 'config.json'), { path: 'config.json', content: new Blob([broken]) }],
    }).catch((e: Error & { statusCode?: number }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { statusCode?: number }).statusCode).toBe(400);
    expect((err as Error).message).toMatch(/config\.json|tensors/);
    expect((await model('up/broken'))?.status).toBe('QUEUED');
    expect((await model('up/broken'))?.files).toEqual([]);
    // The weights were present already: the refused commit added no blob at all.
    expect(await storeState().blobs).toEqual(before);
    expect(storeState().tmp).toEqual([]);
  });

  it('an LFS PUT cut off half-way leaves nothing in the store; a wrong body is refused', async () => {
    const bytes = Buffer.alloc(4 * 1024 * 1024, 7);
    const oid = sha256(bytes);
    const batch = await fetch(`${hubUrl}/up/broken.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.tokens.MAINTAINER}`, 'content-type': 'application/vnd.git-lfs+json' },
      body: JSON.stringify({ operation: 'upload', transfers: ['basic', 'xet'], objects: [{ oid, size: bytes.length }] }),
    });
    const answer = (await batch.json()) as { transfer: string; objects: Array<{ actions: { upload: { href: string } } }> };
    expect(answer.transfer).toBe('basic');
    const href = answer.objects[0]!.actions.upload.href;
    const before = await storeState().blobs;

    const controller = new AbortController();
    let sent = 0;
    let staged = false;
    const body = new ReadableStream({
      async pull(c) {
        if (sent >= bytes.length / 2) {
          // Half sent: wait until the server is writing it under tmp/, then cut the connection.
          for (let i = 0; i < 100 && !staged; i++) {
            staged = storeState().tmp.some((n) => n.startsWith('upload-'));
            if (!staged) await new Promise((r) => setTimeout(r, 20));
          }
          controller.abort();
          return;
        }
        c.enqueue(bytes.subarray(sent, sent + 65536));
        sent += 65536;
      },
    });
    await fetch(href, { method: 'PUT', body, duplex: 'half', signal: controller.signal } as RequestInit).catch(() => null);
    expect(staged).toBe(true);
    // The server sees the connection close; give it a moment to clean up.
    for (let i = 0; i < 50 && storeState().tmp.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(storeState().tmp).toEqual([]);
    expect(await storeState().blobs).toEqual(before);

    const wrong = await fetch(href, { method: 'PUT', body: Buffer.alloc(bytes.length, 8) });
    expect(wrong.status).toBe(400);
    expect(await storeState().blobs).toEqual(before);
    const unsigned = await fetch(href.replace(/sig=[0-9a-f]+/, `sig=${'0'.repeat(64)}`), { method: 'PUT', body: bytes });
    expect(unsigned.status).toBe(401);
    const ok = await fetch(href, { method: 'PUT', body: bytes });
    expect(ok.status).toBe(200);
    expect(await api.registry.store.blobSize(oid)).toBe(bytes.length);
    // The verify action: 200 once the object is there with its size, 404 otherwise.
    const verify = (size: number) =>
      fetch(`${hubUrl}/up/broken.git/info/lfs/verify`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.tokens.MAINTAINER}`, 'content-type': 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ oid, size }),
      });
    expect((await verify(bytes.length)).status).toBe(200);
    expect((await verify(bytes.length + 1)).status).toBe(404);
  });

  it('a commit cut off half-way leaves the repository, the store and tmp/ as they were', async () => {
    const before = { model: await model('up/tiny'), blobs: await storeState().blobs };
    const first = `${JSON.stringify({ key: 'header', value: { summary: 'cut' } })}\n{"key":"file","value":{"path":"tokenizer.json","encoding":"base64","content":"`;
    const controller = new AbortController();
    let sent = 0;
    let staging = false;
    const body = new ReadableStream({
      async pull(c) {
        if (sent === 0) c.enqueue(Buffer.from(first));
        if (sent >= 4 * 1024 * 1024) {
          for (let i = 0; i < 100 && !staging; i++) {
            staging = storeState().tmp.some((n) => n.startsWith('commit-body-'));
            if (!staging) await new Promise((r) => setTimeout(r, 20));
          }
          controller.abort();
          return;
        }
        c.enqueue(Buffer.alloc(65536, 0x41));
        sent += 65536;
      },
    });
    await fetch(`${hubUrl}/api/models/up/tiny/commit/main`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${api.tokens.MAINTAINER}` },
      body,
      duplex: 'half',
      signal: controller.signal,
    } as RequestInit).catch(() => null);
    expect(staging).toBe(true);
    for (let i = 0; i < 50 && storeState().tmp.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(storeState().tmp).toEqual([]);
    expect(await storeState().blobs).toEqual(before.blobs);
    expect(await model('up/tiny')).toEqual(before.model);
  });

  it('the JSON form of a commit; files outside a checkpoint, missing LFS objects and bad tokens are refused by name', async () => {
    const post = (body: string, type: string, token: string | null = api.tokens.MAINTAINER) =>
      fetch(`${hubUrl}/api/models/up/tiny/commit/main`, {
        method: 'POST',
        headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
      });
    const config = readFileSync(join(folder, 'config.json')).toString('base64');
    const json = await post(
      JSON.stringify({ summary: 'same config', files: [{ path: 'config.json', content: config, encoding: 'base64' }] }),
      'application/json',
    );
    expect(json.status).toBe(200);
    expect(((await json.json()) as { commitOid: string }).commitOid).toMatch(/^[0-9a-f]{40}$/);
    const line = (key: string, value: object) => JSON.stringify({ key, value });
    const refused = async (res: Response, status: number, text: RegExp) => {
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toMatch(text);
    };
    const header = line('header', { summary: 'x' });
    await refused(
      await post(
        [header, line('file', { path: 'reference.json', content: 'e30=', encoding: 'base64' })].join('\n'),
        'application/x-ndjson',
      ),
      400,
      /reference\.json: not a file of a Hugging Face checkpoint/,
    );
    await refused(
      await post(
        [header, line('lfsFile', { path: 'extra.safetensors', algo: 'sha256', oid: 'a'.repeat(64), size: 1 })].join('\n'),
        'application/x-ndjson',
      ),
      400,
      /extra\.safetensors: LFS object a{64} was not uploaded/,
    );
    await refused(
      await post([header, line('file', { path: '../x', content: '' })].join('\n'), 'application/x-ndjson'),
      400,
      /line 2\.path/,
    );
    await refused(await post(header, 'application/x-ndjson', null), 401, /token/);
    await refused(await post(header, 'application/x-ndjson', api.tokens.READER), 403, /maintainer/);
  });

  it('deleteFile and deleteRepo: refused with a reader token, allowed with the role', async () => {
    await expect(deleteFile({ repo: 'up/tiny', path: 'generation_config.json', accessToken: api.tokens.READER, hubUrl })).rejects.toThrow(
      /maintainer/,
    );
    await deleteFile({ repo: 'up/tiny', path: 'generation_config.json', accessToken: api.tokens.MAINTAINER, hubUrl });
    expect((await model('up/tiny'))?.files.map((f) => f.path)).not.toContain('generation_config.json');
    await expect(deleteRepo({ repo: 'up/broken', accessToken: api.tokens.MAINTAINER, hubUrl })).rejects.toThrow(/admin/);
    await deleteRepo({ repo: 'up/broken', accessToken: api.tokens.ADMIN, hubUrl });
    expect(await model('up/broken')).toBeNull();
  });

  it('a README.md with base_model makes the upload a derived model with its lineage edge', async () => {
    await createRepo({ repo: 'up/child', accessToken: api.tokens.MAINTAINER, hubUrl });
    const card = Buffer.from('---\nbase_model: disk/tiny\nbase_model_relation: quantized\n---\n# child\n');
    await uploadFiles({
      repo: 'up/child',
      accessToken: api.tokens.MAINTAINER,
      hubUrl,
      files: [...folderFiles().filter((f) => f.path !== 'README.md'), { path: 'README.md', content: new Blob([card]) }],
    });
    const r = await api.gql<{ model: { kind: string; parents: Array<{ relation: string; parent: { name: string } }> } }>(
      'query { model(name: "up/child") { kind parents { relation parent { name } } } }',
    );
    expect(r.data?.model.kind).toBe('DERIVED');
    expect(r.data?.model.parents).toEqual([{ relation: 'QUANTIZED', parent: { name: 'disk/tiny' } }]);
  });
});

/**
 * Sends a request's headers and the first megabyte of a body announced as `length` bytes, and
 * resolves with the status as soon as the server answers (the rest of the body never sent).
 */
function answerBeforeBody(method: string, path: string, type: string, token: string | null, length: number) {
  return new Promise<{ status: number; ms: number }>((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(`${hubUrl}${path}`, {
      method,
      headers: { 'content-type': type, 'content-length': length, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${method} ${path}: no answer within 3 s while the body was still arriving`));
    }, 3000);
    req.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      resolve({ status: res.statusCode ?? 0, ms: performance.now() - started });
      req.destroy();
    });
    req.on('error', () => {});
    req.write(Buffer.alloc(1024 * 1024, 0x20));
  });
}

describe('hostile writes (issue 26 on the Hub routes)', () => {
  it('every write route checks the token and its role before reading any of the body', async () => {
    const big = 62 * 1024 * 1024;
    const routes: Array<[string, string, string, TokenRole]> = [
      ['POST', '/api/models/up/tiny/commit/main', 'application/json', 'MAINTAINER'],
      ['POST', '/api/models/up/tiny/commit/main', 'application/x-ndjson', 'MAINTAINER'],
      ['POST', '/api/models/up/tiny/preupload/main', 'application/json', 'MAINTAINER'],
      ['POST', '/up/tiny.git/info/lfs/objects/batch', 'application/vnd.git-lfs+json', 'MAINTAINER'],
      ['POST', '/up/tiny.git/info/lfs/verify', 'application/vnd.git-lfs+json', 'MAINTAINER'],
      ['POST', '/api/repos/create', 'application/json', 'MAINTAINER'],
      ['DELETE', '/api/repos/delete', 'application/json', 'ADMIN'],
    ];
    for (const [method, path, type, role] of routes) {
      // Anonymous: 401 while the body is still arriving (before, the commit's JSON form buffered
      // up to 64 MB first, and the others answered 413 for the length).
      expect((await answerBeforeBody(method, path, type, null, big)).status, `${method} ${path} ${type}`).toBe(401);
      const weaker = role === 'ADMIN' ? api.tokens.MAINTAINER : api.tokens.READER;
      expect((await answerBeforeBody(method, path, type, weaker, big)).status, `${method} ${path} ${type} weaker role`).toBe(403);
    }
    // The upload URL's signature is its credential: checked before the object streams in.
    const oid = 'b'.repeat(64);
    const put = await answerBeforeBody(
      'PUT',
      `/up/tiny.git/info/lfs/objects/${oid}?size=${big}&expires=1&token=x&sig=00`,
      'application/octet-stream',
      null,
      big,
    );
    expect(put.status).toBe(401);
  });

  it('JSON-form commits (held whole, up to 64 MB) read their bodies two at a time; a third waits, unread', async () => {
    const open = (body: Buffer, length: number) => {
      const req = httpRequest(`${hubUrl}/api/models/up/tiny/commit/main`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': length, authorization: `Bearer ${api.tokens.MAINTAINER}` },
      });
      req.on('error', () => {});
      const answered = new Promise<number>((resolve) =>
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }),
      );
      req.write(body);
      return { req, answered };
    };
    const late = (p: Promise<number>, ms: number) => Promise.race([p, new Promise<'none'>((r) => setTimeout(() => r('none'), ms))]);
    // Two slow clients take both slots: headers and the first bytes of a body that never completes.
    const slow = [open(Buffer.from('{"summary":'), 1024 * 1024), open(Buffer.from('{"summary":'), 1024 * 1024)];
    await new Promise((r) => setTimeout(r, 300));
    // A third, complete (refused 400 once read: a path outside the repository), waits for a slot.
    const body = Buffer.from('{"summary":"x","files":[{"path":"../x","content":""}]}');
    const third = open(body, body.length);
    third.req.end();
    expect(await late(third.answered, 700)).toBe('none');
    slow[0]!.req.destroy();
    expect(await late(third.answered, 3000)).toBe(400);
    slow[1]!.req.destroy();
  });

  it('path names a file system cannot hold, and a path both a file and a folder, are 400 naming the path', async () => {
    const before = { model: await model('up/tiny'), blobs: await storeState().blobs };
    const line = (key: string, value: object) => JSON.stringify({ key, value });
    const commit = (...files: string[]) =>
      fetch(`${hubUrl}/api/models/up/tiny/commit/main`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${api.tokens.MAINTAINER}` },
        body: [line('header', { summary: 'x' }), ...files.map((path) => line('file', { path, content: 'e30=', encoding: 'base64' }))].join(
          '\n',
        ),
      });
    const cases: Array<[string[], RegExp]> = [
      // Linux's NAME_MAX is 255 bytes a segment: before, ENAMETOOLONG at link (500).
      [['A'.repeat(300)], /line 2\.path: .*300 bytes, more than the 255/],
      [[`sub/${'é'.repeat(400)}`], /line 2\.path: .*800 bytes, more than the 255/],
      // config.json is a file of the repository: before, EEXIST at mkdir (500).
      [['config.json/x'], /config\.json\/x: config\.json is a file/],
      [['a', 'a/b'], /a\/b: a is a file/],
      [['x/y/z', 'x/y'], /x\/y\/z: x\/y is a file/],
    ];
    for (const [paths, message] of cases) {
      const res = await commit(...paths);
      const text = await res.text();
      expect(res.status, `${paths.join(', ')}: ${text}`).toBe(400);
      const body = JSON.parse(text) as { error: string; errors: Array<{ extensions: { code: string } }> };
      expect(body.errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(body.error).toMatch(message);
    }
    // preupload names the same rule before anything is sent.
    const pre = await fetch(`${hubUrl}/api/models/up/tiny/preupload/main`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${api.tokens.MAINTAINER}` },
      body: JSON.stringify({ files: [{ path: 'A'.repeat(256), size: 1, sample: '' }] }),
    });
    expect(pre.status).toBe(400);
    expect(await model('up/tiny')).toEqual(before.model);
    expect(await storeState().blobs).toEqual(before.blobs);
    expect(storeState().tmp).toEqual([]);
  });

  it("the card's front matter is read within its bound, whatever README.md's size (a sparse 3 GiB one)", async () => {
    const path = join(tempDir('bonsai-hubw-card-'), 'README.md');
    writeFileSync(path, '---\nbase_model: disk/tiny\nbase_model_relation: quantized\n---\n');
    // Sparse: no disk, and past readFile's 2 GiB limit (before: ERR_FS_FILE_TOO_LARGE, a 500).
    truncateSync(path, 3 * 1024 ** 3);
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    expect(await cardParents(path)).toEqual({ parents: ['disk/tiny'], relation: 'QUANTIZED' });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
  });

  it('a model waiting for its prune job (cancelled) takes no commit: 409 CONFLICT', async () => {
    const spawned = await api.gql<{ spawnPrunedVariant: { model: { name: string }; job: { id: string } } }>(
      'mutation { spawnPrunedVariant(parent: "disk/tiny", name: "up/pruned", recipe: { depth: { last: 1 } }) { model { name } job { id } } }',
    );
    expect(spawned.errors).toBeUndefined();
    const cancelled = await api.gql(`mutation { cancelJob(id: "${spawned.data!.spawnPrunedVariant.job.id}") { status } }`);
    expect(cancelled.errors).toBeUndefined();
    const err = await uploadFiles({ repo: 'up/pruned', accessToken: api.tokens.MAINTAINER, hubUrl, files: folderFiles() }).catch(
      (e: Error & { statusCode?: number }) => e,
    );
    expect((err as { statusCode?: number }).statusCode).toBe(409);
    expect((err as Error).message).toMatch(/up\/pruned is waiting for its prune job.*retry the job.*delete the model/);
    const after = await model('up/pruned');
    expect(after?.files).toEqual([]);
    expect(after?.kind).not.toBe('BASE');
    expect(after?.status).not.toBe('READY');
  });
});
