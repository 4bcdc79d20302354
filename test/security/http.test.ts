// Hostile requests to the HTTP routes beside GraphQL: every route answers a client's mistake with a
// 4xx and a JSON body carrying a code (never 500, never express's HTML page with a stack trace and
// the install path), and a download's Content-Disposition is valid for any file name (RFC 6266
// with RFC 8187's filename*, which is what lets a non-Latin-1 or CR/LF name through).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
let production: TestApi;
const MODEL = 'Bible/Tiny-Llama-KJV';
const repoDir = fileURLToPath(new URL('../..', import.meta.url));

beforeAll(async () => {
  api = await startTestApi({ modelRoots: [dirname(sharedModel)] });
  production = await startTestApi({ production: true });
  await api.register(sharedModel, MODEL);
});
afterAll(async () => {
  await api?.close();
  await production?.close();
});

interface ErrorBody {
  error?: string;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
}

async function request(server: TestApi, path: string, init: RequestInit = {}) {
  const res = await fetch(`${server.server.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, text };
}

/** A JSON error: the status, the code, the message in both places clients read it, no stack, no path. */
function expectJsonError(r: Awaited<ReturnType<typeof request>>, status: number, code: string, message?: RegExp) {
  expect(r.status, r.text).toBe(status);
  expect(r.type).toMatch(/^application\/json/);
  const body = JSON.parse(r.text) as ErrorBody;
  expect(body.errors?.[0]?.extensions?.code).toBe(code);
  expect(body.error).toBe(body.errors?.[0]?.message);
  if (message) expect(body.error).toMatch(message);
  expect(r.text).not.toMatch(/<html|<pre|stacktrace|\bat \S+ \(|node_modules/i);
  expect(r.text).not.toContain(repoDir);
}

describe('model file routes', () => {
  it('a NUL in the file path is 400 BAD_USER_INPUT, not 500', async () => {
    expectJsonError(await request(api, `/models/${MODEL}/resolve/%00`), 400, 'BAD_USER_INPUT', /path.*NUL/);
    expectJsonError(await request(api, `/models/${MODEL}/resolve/a%00b/c`), 400, 'BAD_USER_INPUT', /path.*NUL/);
    expectJsonError(await request(api, `/models/Bible%00/x/README.md`), 400, 'BAD_USER_INPUT', /NUL/);
  });

  it('a malformed percent-encoding is 400 BAD_REQUEST in JSON, in development too', async () => {
    for (const path of [`/models/${MODEL}/resolve/%ff`, `/models/${MODEL}/onnx/%e0%a4`, '/models/%zz/x/README.md', '/x/%ff']) {
      expectJsonError(await request(api, path), 400, 'BAD_REQUEST', /percent-encod|URI/);
    }
  });

  it('a missing file, model or route is 404 NOT_FOUND in JSON', async () => {
    expectJsonError(await request(api, `/models/${MODEL}/resolve/nope.bin`), 404, 'NOT_FOUND', /nope\.bin/);
    expectJsonError(await request(api, '/models/nobody/nothing/README.md'), 404, 'NOT_FOUND');
    expectJsonError(await request(api, `/models/${MODEL}/onnx/other.bin`), 404, 'NOT_FOUND');
    expectJsonError(await request(api, '/no/such/route/at/all'), 404, 'NOT_FOUND', /GET \/no\/such\/route\/at\/all/);
    expectJsonError(await request(api, `/models/${MODEL}/README.md`, { method: 'DELETE' }), 404, 'NOT_FOUND', /DELETE/);
  });

  it('a browser gets one HTML 404 page on a catalog path, the API JSON on its own paths (issue 32 item 7)', async () => {
    // What Chromium sends on a navigation.
    const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    for (const path of ['/no/such/route/at/all', '/nobody/nothing', '/favicon-that-is-not.ico', '/%3Cscript%3Ealert(1)%3C/script%3E/x']) {
      const r = await request(api, path, { headers: browser, redirect: 'manual' });
      expect(r.status, path).toBe(404);
      expect(r.type).toMatch(/^text\/html/);
      expect(r.text).toContain('404');
      expect(r.text).toContain('href="/"');
      expect(r.text).not.toMatch(/<script|Cannot GET/);
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
    expect((await request(api, '/nobody/nothing', { headers: browser })).text).toContain('model not found');
    // The same paths for a program (fetch's */*), and API paths even for a browser: JSON.
    expectJsonError(await request(api, '/nobody/nothing', { redirect: 'manual' }), 404, 'NOT_FOUND', /nobody\/nothing/);
    for (const path of ['/api/nothing', '/api/models/nobody/nothing', '/nobody/nothing/resolve/main/config.json', '/models/x/y/README.md'])
      expectJsonError(await request(api, path, { headers: browser }), 404, 'NOT_FOUND');
  });

  it('a Hub-style /OWNER/NAME redirects to the catalog only for a model the registry holds', async () => {
    for (const path of [`/${MODEL}`, `/${MODEL.toLowerCase()}`]) {
      const r = await request(api, path, { redirect: 'manual' });
      expect(r.status, path).toBe(302);
      expect(r.headers.get('location')).toBe(`/#/model/${path.slice(1)}`);
    }
    const r = await request(api, '/Bible/Tiny-Llama-KJV-nope', { redirect: 'manual' });
    expect(r.status).toBe(404);
    expect(r.headers.get('location')).toBeNull();
  });

  it('a bad token is 401 UNAUTHENTICATED in JSON', async () => {
    const r = await request(api, `/models/${MODEL}/README.md`, { headers: { authorization: 'Bearer nope' } });
    expectJsonError(r, 401, 'UNAUTHENTICATED');
  });

  it('serves any stored file name with a valid Content-Disposition (RFC 6266 filename*)', async () => {
    const model = await api.db.prisma.model.findFirstOrThrow({ where: { name: 'Tiny-Llama-KJV' } });
    const config = await api.db.prisma.artifactFile.findFirstOrThrow({ where: { artifactId: model.artifactId!, path: 'config.json' } });
    // Names a checkpoint may really have (a shard in Japanese, a quote, a percent sign) and one a
    // file system allows but a header line cannot hold as it is (CR/LF).
    const names = ['モデル-00001.safetensors', 'naïve "q".json', '100%.bin', 'evil\r\nset-cookie: x=1.bin', 'emoji-🌳.txt'];
    for (const name of names)
      await api.db.prisma.artifactFile.create({
        data: { artifactId: model.artifactId!, path: `sub/${name}`, sha256: config.sha256, size: config.size },
      });
    for (const name of names) {
      const res = await fetch(`${api.server.url}/models/${MODEL}/resolve/sub/${encodeURIComponent(name)}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
      // Read back as RFC 6266 says a client does: filename* (RFC 8187, UTF-8 percent-encoded) wins over filename.
      const header = res.headers.get('content-disposition') ?? '';
      expect(header, name).toMatch(/^attachment(;|$)/);
      const extended = /;\s*filename\*=UTF-8''([^;]+)/i.exec(header)?.[1];
      const quotedOrToken = /;\s*filename=(?:"((?:[^"\\]|\\.)*)"|([^;\s"]+))/.exec(header);
      const plain = quotedOrToken?.[1]?.replace(/\\(.)/g, '$1') ?? quotedOrToken?.[2];
      expect(extended ? decodeURIComponent(extended) : plain, header).toBe(name);
      expect(res.headers.get('content-disposition')).toMatch(/^[\x20-\x7e]+$/);
      expect(await res.text()).toContain('"model_type"');
    }
  });
});

describe('request bodies', () => {
  it('malformed JSON is 400 BAD_REQUEST in JSON, without the install path, in development and production', async () => {
    for (const server of [api, production]) {
      const r = await request(server, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
      expectJsonError(r, 400, 'BAD_REQUEST', /JSON/);
    }
  });

  it('a GraphQL body that is not UTF-8 is 400 BAD_REQUEST, as on the Hub routes (one JSON policy, src/formats/json.ts)', async () => {
    const json = (s: string) => Buffer.from(s);
    // express.json decoded these to U+FFFD and ran the query.
    for (const bytes of [
      Buffer.concat([json('{"query":"{ __typename }","variables":{"s":"'), Buffer.from([0xff]), json('"}}')]),
      Buffer.concat([json('{"query":"{ __typename }","variables":{"s":"'), Buffer.from([0xed, 0xa0, 0x80]), json('"}}')]),
      Buffer.concat([json('{"query":"{ __typename'), Buffer.from([0xc3]), json('"}')]),
    ]) {
      const r = await request(api, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes });
      expectJsonError(r, 400, 'BAD_REQUEST', /not UTF-8/);
    }
    // The same request in UTF-8 runs; an empty JSON body is Apollo's 400 (no query), as before.
    const ok = await request(api, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ query: '{ __typename }', variables: { s: 'é🌳' } }),
    });
    expect(ok.status, ok.text).toBe(200);
    const empty = await request(api, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
    expect(empty.status).toBe(400);
    // Nesting past what the named walk (variableDepth.ts) looks at is refused before JSON.parse.
    const deep = await request(api, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"query":"{ __typename }","variables":{"s":${'['.repeat(400_000)}${']'.repeat(400_000)}}}`,
    });
    expectJsonError(deep, 400, 'BAD_USER_INPUT', /nested more than 128/);
  });

  it('a body over 1 MB is 413 PAYLOAD_TOO_LARGE in JSON', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { s: 'x'.repeat(1_100_000) } });
    const r = await request(api, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expectJsonError(r, 413, 'PAYLOAD_TOO_LARGE', /1 MB|1,048,576|limit/);
  });

  it('a one-line document with 10,000 wrong list items stops at 10 validation errors: graphql-js scans the document from its start for each error’s line', async () => {
    const items = Array.from({ length: 10_000 }, () => '0').join(',');
    const query = `mutation { spawnPrunedVariant(parent: "a/b", recipe: { vocab: { corpus: [${items}] } }, description: "${'x'.repeat(900_000)}") { __typename } }`;
    const r = await api.gql(query);
    const messages = (r.errors ?? []).map((e) => e.message);
    expect(messages).toHaveLength(11);
    expect(messages.slice(0, 10).every((m) => /String cannot represent a non string value: 0/.test(m))).toBe(true);
    expect(messages[10]).toMatch(/Too many validation errors/);
  });

  it('an unsupported charset is 415 in JSON', async () => {
    const r = await request(api, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=klingon' },
      body: '{"query":"{ __typename }"}',
    });
    expectJsonError(r, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('every HTTP route with hostile segments, bodies and roles (1,000 generated cases)', () => {
  // The routes of src/http/server.ts and src/http/hub/index.ts; {o} {n} {r} {p} are segments.
  const ROUTES: Array<[string, string]> = [
    ['GET', '/healthz'],
    ['GET', '/models/{o}/{n}/README.md'],
    ['GET', '/models/{o}/{n}/resolve/{p}'],
    ['GET', '/models/{o}/{n}/onnx/{p}'],
    ['GET', '/api/models?search={p}&limit={r}'],
    ['GET', '/api/models/{o}/{n}'],
    ['GET', '/api/models/{o}/{n}/revision/{r}'],
    ['GET', '/api/models/{o}/{n}/tree/{r}/{p}'],
    ['POST', '/api/models/{o}/{n}/paths-info/{r}'],
    ['GET', '/{o}/{n}/resolve/{r}/{p}'],
    ['HEAD', '/{o}/{n}/resolve/{r}/{p}'],
    ['POST', '/api/repos/create'],
    ['POST', '/api/models/{o}/{n}/preupload/{r}'],
    ['POST', '/{o}/{n}.git/info/lfs/objects/batch'],
    ['PUT', '/{o}/{n}.git/info/lfs/objects/{p}'],
    ['POST', '/{o}/{n}.git/info/lfs/verify'],
    ['POST', '/api/models/{o}/{n}/commit/{r}'],
    ['GET', '/{o}/{n}'],
    ['GET', '/{p}'],
    ['DELETE', '/models/{o}/{n}/README.md'],
    ['GET', '/graphql?query={p}'],
  ];
  const segment = fc.constantFrom(
    'Bible',
    'Tiny-Llama-KJV',
    'main',
    'config.json',
    'README.md',
    '%00',
    '%ff',
    '%e0%a4',
    '%0d%0aset-cookie:%20x=1',
    '..',
    '%2e%2e',
    '%2F',
    'x'.repeat(5000),
    '%C3%A9%F0%9F%8C%B3',
    '-1',
    '2147483647',
    'a.git',
  );
  const body = fc.constantFrom<string | undefined>(
    undefined,
    '',
    '{',
    'null',
    '[]',
    '{"operations":[{"path":"../../etc/passwd","size":1,"sample":"","sha":"x"}],"files":[],"paths":["%00"]}',
    `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    'x'.repeat(1_100_000),
    '{"key":"header","value":{"summary":"x"}}\n{"key":"file","value":{"path":"../x","content":"eA==","encoding":"base64"}}\n',
  );
  const arb = fc.record({
    route: fc.constantFrom(...ROUTES),
    o: segment,
    n: segment,
    r: segment,
    p: segment,
    body,
    type: fc.constantFrom('application/json', 'application/x-ndjson', 'text/plain', 'application/x-www-form-urlencoded'),
    role: fc.constantFrom<'anonymous' | 'READER' | 'MAINTAINER' | 'ADMIN'>('anonymous', 'READER', 'MAINTAINER', 'ADMIN'),
  });

  it('answers below 500 within 1 s; every error is JSON with a code, no stack, no path', async () => {
    const seed = Number(process.env.BONSAI_FC_SEED ?? 20261204);
    await fc.assert(
      fc.asyncProperty(arb, async ({ route: [method, template], o, n, r, p, body, type, role }) => {
        const path = template.replace('{o}', o).replace('{n}', n).replace('{r}', r).replace('{p}', p);
        const started = performance.now();
        const res = await fetch(`${api.server.url}${path}`, {
          method,
          redirect: 'manual',
          headers: { 'content-type': type, ...(role === 'anonymous' ? {} : { authorization: `Bearer ${api.tokens[role]}` }) },
          body: method === 'GET' || method === 'HEAD' ? undefined : body,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        const what = `${role} ${method} ${path.slice(0, 200)}: HTTP ${res.status}: ${text.slice(0, 400)}`;
        expect(res.status, what).toBeLessThan(500);
        expect(performance.now() - started, what).toBeLessThan(1000);
        expect(res.headers.get('set-cookie'), what).toBeNull();
        expect(text, what).not.toMatch(/stacktrace|\bat [\w.<>]+ \(|node_modules/);
        expect(text, what).not.toContain(repoDir);
        expect(text, what).not.toContain(api.home);
        if (res.status >= 400 && method !== 'HEAD') {
          expect(res.headers.get('content-type') ?? '', what).toMatch(/json/);
          const parsed = JSON.parse(text) as ErrorBody;
          expect(parsed.errors?.[0]?.extensions?.code, what).toMatch(/^[A-Z_]+$/);
        }
      }),
      { seed, numRuns: 1000, endOnFailure: true },
    );
  }, 120_000);
});
