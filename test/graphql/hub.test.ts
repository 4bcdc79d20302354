// The Hub's read protocol, exercised with the Hub's own JavaScript client (@huggingface/hub) against
// a running Bonsai whose home is a dot-folder, as `npm start`'s default `./.bonsai` is: model info,
// the file list, download info and downloads (sha256 equal to the registry's), paths-info, the
// model listing; then the headers and codes huggingface_hub reads, Range requests and the old
// download route.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { downloadFile, fileDownloadInfo, listFiles, listModels, modelInfo, pathsInfo } from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;
let hubUrl: string;
const REPO = 'bible/tiny-llama-kjv';
const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  // A home inside a dot-folder: express's file sender refuses such paths unless told otherwise.
  const home = join(tempDir('bonsai-hub-'), '.bonsai');
  mkdirSync(home);
  api = await startTestApi({ modelRoots: [dirname(sharedModel)], home });
  hubUrl = api.server.url;
  await api.register(sharedModel, REPO, 'apache-2.0');
  await api.register(sharedModel, 'bible/second-copy');
});
afterAll(async () => {
  await api?.close();
});

/** The checkpoint's stored files but its own README.md, whose place the rendered card takes. */
async function storedFiles(): Promise<Array<{ path: string; sha256: string; size: string }>> {
  const r = await api.gql<{ model: { files: Array<{ path: string; sha256: string; size: string }> } }>(
    'query($n: String!) { model(name: $n) { files { path sha256 size } } }',
    { n: REPO },
  );
  return r.data!.model.files.filter((f) => f.path !== 'README.md');
}

describe('@huggingface/hub against Bonsai', () => {
  it('modelInfo: the id, the files and the card’s metadata', async () => {
    const info = await modelInfo({ name: REPO, hubUrl, additionalFields: ['sha', 'filePaths', 'cardData', 'author', 'tags'] });
    expect(info.name).toBe(REPO);
    expect(info.private).toBe(false);
    expect(info.author).toBe('bible');
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
    const stored = (await storedFiles()).map((f) => f.path);
    const siblings = info.filePaths;
    // Every stored file, and the card as README.md.
    expect(siblings).toEqual(expect.arrayContaining([...stored, 'README.md']));
    expect((info.cardData as { license?: string }).license).toBe('apache-2.0');
  });

  it('listFiles: every file with its size, LFS files with their sha256', async () => {
    const listed = [];
    for await (const f of listFiles({ repo: REPO, hubUrl })) listed.push(f);
    for (const f of await storedFiles()) {
      const entry = listed.find((e) => e.path === f.path);
      expect(entry, f.path).toBeDefined();
      expect(entry!.size).toBe(Number(f.size));
      if (f.path.endsWith('.safetensors')) expect(entry!.lfs?.oid).toBe(f.sha256);
      else {
        // A plain file's oid is its git blob id, computed here from the shared model's own bytes.
        const bytes = readFileSync(join(sharedModel, f.path));
        const git = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
        expect(entry!.oid).toBe(git);
      }
    }
  });

  it('fileDownloadInfo and downloadFile: the bytes the registry stored, for every file', async () => {
    for (const f of await storedFiles()) {
      const info = await fileDownloadInfo({ repo: REPO, path: f.path, hubUrl });
      expect(info?.size).toBe(Number(f.size));
      const blob = await downloadFile({ repo: REPO, path: f.path, hubUrl });
      const bytes = new Uint8Array(await blob!.arrayBuffer());
      expect(sha256(bytes), f.path).toBe(f.sha256);
      expect(sha256(readFileSync(join(sharedModel, f.path))), f.path).toBe(f.sha256);
    }
    // A missing file is null for the client (404 with X-Error-Code: EntryNotFound).
    expect(await fileDownloadInfo({ repo: REPO, path: 'nope.json', hubUrl })).toBeNull();
  });

  it('downloads the card as README.md, the same markdown the API shows', async () => {
    const blob = await downloadFile({ repo: REPO, path: 'README.md', hubUrl });
    const r = await api.gql<{ model: { card: { markdown: string } } }>('query($n: String!) { model(name: $n) { card { markdown } } }', {
      n: REPO,
    });
    expect(await blob!.text()).toBe(r.data!.model.card.markdown);
  });

  it('pathsInfo and listModels', async () => {
    const infos = await pathsInfo({ repo: REPO, paths: ['config.json', 'model.safetensors', 'missing.txt'], hubUrl });
    expect(infos.map((i) => i.path).sort()).toEqual(['config.json', 'model.safetensors']);
    const names = [];
    for await (const m of listModels({ hubUrl, search: { owner: 'bible' } })) names.push(m.name);
    expect(names.sort()).toEqual(['bible/second-copy', REPO]);
    const found = [];
    for await (const m of listModels({ hubUrl, search: { query: 'second' } })) found.push(m.name);
    expect(found).toEqual(['bible/second-copy']);
  });
});

describe('the headers and codes huggingface_hub reads', () => {
  const url = (path: string, rev = 'main') => `${hubUrl}/${REPO}/resolve/${rev}/${path}`;

  it('HEAD of a weight file: commit, ETag = sha256 and its linked size, ranges', async () => {
    const [weights] = (await storedFiles()).filter((f) => f.path === 'model.safetensors');
    const info = await modelInfo({ name: REPO, hubUrl, additionalFields: ['sha'] });
    const res = await fetch(url('model.safetensors'), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-repo-commit')).toBe(info.sha);
    expect(res.headers.get('etag')).toBe(`"${weights!.sha256}"`);
    expect(res.headers.get('x-linked-etag')).toBe(`"${weights!.sha256}"`);
    expect(res.headers.get('x-linked-size')).toBe(weights!.size);
    expect(res.headers.get('content-length')).toBe(weights!.size);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    // The commit id pins the same bytes.
    expect((await fetch(url('model.safetensors', info.sha!), { method: 'HEAD' })).headers.get('etag')).toBe(`"${weights!.sha256}"`);
  });

  it('a Range request resumes a download: the last 1,000 bytes, and the rest from an offset', async () => {
    const whole = readFileSync(join(sharedModel, 'model.safetensors'));
    const tail = await fetch(url('model.safetensors'), { headers: { range: 'bytes=-1000' } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes ${whole.length - 1000}-${whole.length - 1}/${whole.length}`);
    expect(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(whole.length - 1000))).toBe(true);
    const rest = await fetch(url('model.safetensors'), { headers: { range: `bytes=${whole.length - 5}-` } });
    expect(Buffer.from(await rest.arrayBuffer()).equals(whole.subarray(whole.length - 5))).toBe(true);
    // The card is made on request and answers ranges too.
    const card = await fetch(url('README.md'), { headers: { range: 'bytes=0-2' } });
    expect(card.status).toBe(206);
    expect(await card.text()).toBe('---');
    const beyond = await fetch(url('config.json'), { headers: { range: `bytes=${10 ** 9}-` } });
    expect(beyond.status).toBe(416);
  });

  it('a suffix longer than the file is the whole file (RFC 9110 §14.1.2), and a range past the end a bare 416, on every route a file takes', async () => {
    // In pieces (read through the store), stored whole (sent by send) and made on request (the card).
    for (const path of ['model.safetensors', 'config.json', 'README.md']) {
      const whole = Buffer.from(await (await fetch(url(path))).arrayBuffer());
      const n = whole.length;
      for (const suffix of [1, n - 1, n, n + 1, 2 * n, 10 ** 12]) {
        const res = await fetch(url(path), { headers: { range: `bytes=-${suffix}` } });
        const from = Math.max(0, n - suffix);
        expect(res.status, `${path} -${suffix}`).toBe(206);
        expect(res.headers.get('content-range'), `${path} -${suffix}`).toBe(`bytes ${from}-${n - 1}/${n}`);
        expect(Buffer.from(await res.arrayBuffer()).equals(whole.subarray(from)), `${path} -${suffix}`).toBe(true);
      }
      const beyond = await fetch(url(path), { headers: { range: `bytes=${n}-` } });
      expect(beyond.status, path).toBe(416);
      expect(beyond.headers.get('content-range'), path).toBe(`bytes */${n}`);
      expect((await beyond.arrayBuffer()).byteLength, path).toBe(0);
    }
  });

  it('a client that breaks off a download leaves nothing in the server log, and the next download is whole', async () => {
    const [weights] = (await storedFiles()).filter((f) => f.path === 'model.safetensors');
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      written.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    try {
      for (const path of ['model.safetensors', 'tokenizer.json']) {
        await new Promise<void>((resolve, reject) => {
          const req = httpRequest(url(path), (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          });
          req.on('error', (err) => (req.destroyed ? resolve() : reject(err)));
          req.end();
        });
      }
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      process.stderr.write = write;
    }
    expect(written.join('')).not.toMatch(/Premature close|ERR_STREAM|Error|error/);
    expect(sha256(Buffer.from(await (await fetch(url('model.safetensors'))).arrayBuffer()))).toBe(weights!.sha256);

    // Against that, a store that fails half-way (a piece gone from the disk) is logged, once, and
    // the response is cut short: never a complete-looking body.
    const pieces = (await api.registry.store.pieceHashes(weights!.sha256))!;
    const piece = pieces[Math.floor(pieces.length / 2)]!;
    const path = join(api.registry.store.root, 'pieces', piece.slice(0, 2), piece);
    const aside = join(tempDir('bonsai-piece-'), piece);
    renameSync(path, aside);
    written.length = 0;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      written.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    let received = 0;
    try {
      const res = await fetch(url('model.safetensors'));
      expect(res.status).toBe(200);
      await (async () => {
        for await (const c of res.body!) received += c.byteLength;
      })().catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      process.stderr.write = write;
      renameSync(aside, path);
    }
    expect(received).toBeLessThan(Number(weights!.size));
    const logged = written.join('').match(/error after the response began on GET \S*model\.safetensors/g) ?? [];
    expect(logged).toHaveLength(1);
  });

  it('404s say which: RepoNotFound, RevisionNotFound, EntryNotFound, as JSON', async () => {
    for (const [path, code] of [
      [`${hubUrl}/bible/nothing/resolve/main/config.json`, 'RepoNotFound'],
      [url('config.json', 'v9.9'), 'RevisionNotFound'],
      [url('config.json', 'f'.repeat(40)), 'RevisionNotFound'],
      [url('nope.json'), 'EntryNotFound'],
      [`${hubUrl}/api/models/bible/nothing/revision/main`, 'RepoNotFound'],
      [`${hubUrl}/api/models/${REPO}/tree/main/nowhere`, 'EntryNotFound'],
    ] as const) {
      const res = await fetch(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('x-error-code'), path).toBe(code);
      expect(((await res.json()) as { error: string }).error).toBeTruthy();
    }
  });

  it('query parameters: a NUL or a name of Object.prototype is 400 naming the parameter, on every read route', async () => {
    for (const [path, field] of [
      // PostgreSQL's text cannot hold U+0000 (SQLSTATE 22021): these were anonymous 500s.
      ['/api/models?search=%00', 'search'],
      ['/api/models?author=a%00b', 'author'],
      ['/api/models?limit=1&cursor=%00', 'cursor'],
      // `sort in SORTS` matched Object.prototype's names: 500s.
      ['/api/models?sort=constructor', 'sort'],
      ['/api/models?sort=toString', 'sort'],
      ['/api/models?sort=__proto__', 'sort'],
      ['/api/models?sort=hasOwnProperty', 'sort'],
      ['/api/models?%00=1', 'query'],
      [`/api/models/${REPO}?expand=%00`, 'expand'],
      [`/api/models/${REPO}/tree/main?recursive=%00`, 'recursive'],
      [`/${REPO}/resolve/main/config.json?download=%00`, 'download'],
      [`/models/${REPO}/README.md?x=%00`, 'x'],
    ] as const) {
      const res = await fetch(`${hubUrl}${path}`);
      const text = await res.text();
      expect(res.status, `${path}: ${text}`).toBe(400);
      const body = JSON.parse(text) as { error: string; errors: Array<{ extensions: { code: string; field: string } }> };
      expect(body.errors[0]?.extensions, path).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(body.error, path).toMatch(new RegExp(`^${field}: `));
    }
    // The sort names that are the table's own still list.
    for (const sort of ['createdAt', 'lastModified', 'id']) expect((await fetch(`${hubUrl}/api/models?sort=${sort}`)).status).toBe(200);
  });

  it('Bonsai’s earlier /models/OWNER/NAME/resolve/FILE redirects to the Hub’s path', async () => {
    const res = await fetch(`${hubUrl}/models/${REPO}/resolve/config.json`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/${REPO}/resolve/main/config.json`);
    const followed = await fetch(`${hubUrl}/models/${REPO}/resolve/config.json`);
    expect(Buffer.from(await followed.arrayBuffer()).equals(readFileSync(join(sharedModel, 'config.json')))).toBe(true);
  });

  it('reads need a token when the server’s reads are private, as on a private Hub repo', async () => {
    const closed = await startTestApi({ modelRoots: [dirname(sharedModel)], publicReads: false });
    try {
      await closed.register(sharedModel, REPO);
      await expect(modelInfo({ name: REPO, hubUrl: closed.server.url })).rejects.toThrow();
      const info = await modelInfo({ name: REPO, hubUrl: closed.server.url, accessToken: 'hf_bonsai_notatoken' }).catch((e: Error) => e);
      expect(info).toBeInstanceOf(Error);
      const ok = await modelInfo({ name: REPO, hubUrl: closed.server.url, accessToken: closed.tokens.READER, additionalFields: ['sha'] });
      expect(ok.private).toBe(true);
      // paths-info's body is read only once the caller may read: 401 while the body is still arriving.
      const status = await new Promise<number | 'none'>((resolve) => {
        const req = httpRequest(`${closed.server.url}/api/models/${REPO}/paths-info/main`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': 1024 * 1024 },
        });
        req.on('error', () => {});
        const timer = setTimeout(() => resolve('none'), 2000);
        req.on('response', (res) => {
          clearTimeout(timer);
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.write('{"paths":[');
        setTimeout(() => req.destroy(), 2500);
      });
      expect(status).toBe(401);
    } finally {
      await closed.close();
    }
  });
});
