// Hostile requests to the HTTP routes beside GraphQL: every route answers a client's mistake with a
// 4xx and a JSON body carrying a code (never 500, never express's HTML page with a stack trace and
// the install path), and a download's Content-Disposition is valid for any file name (RFC 6266
// with RFC 8187's filename*, which is what lets a non-Latin-1 or CR/LF name through).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseContentDisposition } from 'content-disposition';
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
      const disposition = parseContentDisposition(res.headers.get('content-disposition')!);
      expect(disposition.type).toBe('attachment');
      // The header parses back to the exact name; the plain `filename` fallback is printable ASCII.
      expect(disposition.parameters.filename, name).toBe(name);
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

  it('a body over 1 MB is 413 PAYLOAD_TOO_LARGE in JSON', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { s: 'x'.repeat(1_100_000) } });
    const r = await request(api, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expectJsonError(r, 413, 'PAYLOAD_TOO_LARGE', /1 MB|1,048,576|limit/);
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
