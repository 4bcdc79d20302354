// `bonsai pull OWNER/NAME[@REV] DIR` against a running Bonsai: the bytes the registry stored, a
// second pull that transfers nothing, an interrupted pull that resumes with a Range request, a
// damaged partial file downloaded again, and the failures a user meets named plainly.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PullResult, pullRepo, SCRATCH } from '../../src/cli/hubDownload.js';
import { BonsaiError } from '../../src/errors.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { runBonsai } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';

const REPO = 'bible/tiny-llama-kjv';
const WEIGHTS = 'model.safetensors';
let api: TestApi;
let expected: Map<string, Buffer>;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  api = await startTestApi({ modelRoots: [dirname(sharedModel)] });
  await api.register(sharedModel, REPO);
  // What a pull must give: the checkpoint's files as stored, and the card as README.md.
  const r = await api.gql<{ model: { files: Array<{ path: string; sha256: string }>; card: { markdown: string } } }>(
    'query($n: String!) { model(name: $n) { files { path sha256 } card { markdown } } }',
    { n: REPO },
  );
  expected = new Map(
    r.data!.model.files.filter((f) => f.path !== 'README.md').map((f) => [f.path, readFileSync(join(sharedModel, f.path))]),
  );
  for (const f of r.data!.model.files) if (f.path !== 'README.md') expect(sha256(expected.get(f.path)!)).toBe(f.sha256);
  expected.set('README.md', Buffer.from(r.data!.model.card.markdown, 'utf8'));
}, 60_000);
afterAll(async () => {
  await api?.close();
});

/** The folder holds exactly the expected files, byte for byte, and no scratch folder. */
function expectPulled(dir: string) {
  expect(readdirSync(dir).sort()).toEqual([...expected.keys()].sort());
  for (const [path, bytes] of expected) expect(readFileSync(join(dir, path)).equals(bytes), path).toBe(true);
}

const total = () => [...expected.values()].reduce((n, b) => n + b.length, 0);

async function cliPull(dir: string, env: Record<string, string> = {}) {
  const p = runBonsai(['pull', REPO, dir, '--json'], { BONSAI_URL: api.server.url, ...env });
  const { code } = await p.exited;
  return { code, out: p.output() };
}

describe('bonsai pull', () => {
  it('downloads every file as stored; a second pull transfers nothing', async () => {
    const dir = join(tempDir('bonsai-pull-'), 'tiny');
    const first = await cliPull(dir);
    expect(first.code, first.out).toBe(0);
    const r1 = JSON.parse(first.out.slice(first.out.indexOf('{'))) as PullResult;
    expect(r1.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(r1.files.every((f) => f.outcome === 'downloaded')).toBe(true);
    expect(r1.transferred).toBe(total());
    expectPulled(dir);
    const second = await cliPull(dir);
    expect(second.code, second.out).toBe(0);
    const r2 = JSON.parse(second.out.slice(second.out.indexOf('{'))) as PullResult;
    expect(r2.files.map((f) => f.outcome)).toEqual(r1.files.map(() => 'present'));
    expect(r2.transferred).toBe(0);
    expect(r2.commit).toBe(r1.commit);
  }, 60_000);

  it('an interrupted pull leaves no half-written file and resumes with a Range request', async () => {
    const dir = tempDir('bonsai-pull-');
    const cut = 1 << 20;
    // The connection drops after 1 MiB of the weights.
    const dropping: typeof fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (!String(url).endsWith(`/${WEIGHTS}`) || !res.body) return res;
      let sent = 0;
      const reader = res.body.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          const { value, done } = await reader.read();
          if (done) return c.close();
          if (sent + value.length > cut) {
            c.enqueue(value.subarray(0, cut - sent));
            sent = cut;
            // As a reset does, the real connection goes too: left unread, it kept the server's
            // response open until the server's close gave up on it after 10 s.
            await reader.cancel();
            return c.error(new Error('connection reset'));
          }
          sent += value.length;
          c.enqueue(value);
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const options = { hubUrl: api.server.url, repo: REPO, revision: 'main', dir };
    await expect(pullRepo({ ...options, fetch: dropping })).rejects.toThrow(/connection reset/);
    expect(existsSync(join(dir, WEIGHTS))).toBe(false);
    const partial = join(dir, SCRATCH, 'download', `${WEIGHTS}.incomplete`);
    // What reached the disk before the error (the write stream's last chunks may be lost with it).
    const kept = statSync(partial).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(cut);
    const ranges: string[] = [];
    const watching: typeof fetch = (url, init) => {
      const range = new Headers(init?.headers).get('range');
      if (range && String(url).includes('/resolve/')) ranges.push(range);
      return fetch(url, init);
    };
    const r = await pullRepo({ ...options, fetch: watching });
    expect(ranges).toEqual([`bytes=${kept}-`]);
    const weights = r.files.find((f) => f.path === WEIGHTS)!;
    expect(weights).toMatchObject({ outcome: 'resumed', transferred: expected.get(WEIGHTS)!.length - kept });
    expectPulled(dir);
  }, 60_000);

  it('a damaged partial file fails its sha256 and is downloaded again from the start', async () => {
    const dir = tempDir('bonsai-pull-');
    const partial = join(dir, SCRATCH, 'download', `${WEIGHTS}.incomplete`);
    mkdirSync(dirname(partial), { recursive: true });
    writeFileSync(partial, Buffer.alloc(4096, 7));
    // And a finished file whose bytes differ from the listing's is replaced.
    writeFileSync(join(dir, 'config.json'), '{}');
    const r = await pullRepo({ hubUrl: api.server.url, repo: REPO, revision: 'main', dir });
    expect(r.files.find((f) => f.path === WEIGHTS)).toMatchObject({ outcome: 'downloaded', transferred: expected.get(WEIGHTS)!.length });
    expect(r.files.find((f) => f.path === 'config.json')?.outcome).toBe('downloaded');
    expectPulled(dir);
  }, 60_000);

  it('a pinned commit, and the failures a user meets, each with its code', async () => {
    const dir = tempDir('bonsai-pull-');
    const base = { hubUrl: api.server.url, repo: REPO, dir };
    const { commit } = await pullRepo({ ...base, revision: 'main' });
    expect((await pullRepo({ ...base, revision: commit })).transferred).toBe(0);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (e instanceof BonsaiError ? e.code : String(e)),
      );
    expect(await code(pullRepo({ ...base, repo: 'bible/nothing', revision: 'main' }))).toBe('NOT_FOUND');
    expect(await code(pullRepo({ ...base, revision: 'f'.repeat(40) }))).toBe('NOT_FOUND');
    expect(await code(pullRepo({ ...base, hubUrl: 'http://127.0.0.1:9', revision: 'main' }))).toBe('BAD_CONFIG');
    expect(await code(pullRepo({ ...base, revision: 'main', accessToken: 'not-a-token' }))).toBe('BAD_USER_INPUT');
    // A server that lists a path outside the folder writes nothing there.
    const outside = tempDir('bonsai-pull-outside-');
    const hostile: typeof fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (!String(url).includes('/tree/')) return res;
      const listed = (await res.json()) as Array<{ path: string }>;
      listed[0]!.path = '../evil.json';
      return Response.json(listed, { headers: res.headers });
    };
    const fresh = join(outside, 'fresh');
    expect(await code(pullRepo({ ...base, dir: fresh, revision: 'main', fetch: hostile }))).toBe('BAD_CHECKPOINT');
    expect(readdirSync(outside)).toEqual([]);
  }, 60_000);

  it('private reads: the CLI names BONSAI_TOKEN without one and pulls with it', async () => {
    const closed = await startTestApi({ modelRoots: [dirname(sharedModel)], publicReads: false });
    try {
      await closed.register(sharedModel, REPO);
      const dir = join(tempDir('bonsai-pull-'), 'private');
      const denied = runBonsai(['pull', REPO, dir], { BONSAI_URL: closed.server.url, BONSAI_TOKEN: '' });
      expect((await denied.exited).code).toBe(2);
      expect(denied.output()).toMatch(/BONSAI_TOKEN/);
      expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
      const allowed = runBonsai(['pull', REPO, dir], { BONSAI_URL: closed.server.url, BONSAI_TOKEN: closed.tokens.READER });
      expect((await allowed.exited).code, allowed.output()).toBe(0);
      expect(allowed.output()).toMatch(/downloaded/);
      expect(readFileSync(join(dir, WEIGHTS)).equals(expected.get(WEIGHTS)!)).toBe(true);
    } finally {
      await closed.close();
    }
  }, 60_000);
});
