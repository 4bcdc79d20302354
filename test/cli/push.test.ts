// `bonsai push DIR OWNER/NAME` against a running Bonsai: the repository is created, the
// checkpoint's files arrive as stored by a registration of the same folder, a second push is a new
// revision of the same repository, and the failures a user meets are named plainly.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { runBonsai } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;
let folder: string;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  api = await startTestApi();
  folder = copySharedModel(join(tempDir('bonsai-push-'), 'tiny-llama-kjv'));
}, 60_000);
afterAll(async () => {
  await api?.close();
});

async function push(name: string, token: string | null) {
  const p = runBonsai(['push', folder, name], { BONSAI_URL: api.server.url, ...(token ? { BONSAI_TOKEN: token } : {}) });
  const { code } = await p.exited;
  return { code, out: p.output() };
}

type Model = { status: string; kind: string; revisions: Array<{ sha: string }>; files: Array<{ path: string; sha256: string }> };
async function model(name: string): Promise<Model> {
  const r = await api.gql<{ model: Model }>(
    'query($n: String!) { model(name: $n) { status kind revisions { sha } files { path sha256 } } }',
    { n: name },
  );
  return r.data!.model;
}

describe('bonsai push', () => {
  it('creates the repository and stores the checkpoint’s files byte for byte; a second push is a new revision', async () => {
    const first = await push('team/tiny', api.tokens.MAINTAINER);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/revision [0-9a-f]{40}/);
    const m = await model('team/tiny');
    expect(m.status).toBe('READY');
    expect(m.kind).toBe('BASE');
    expect(m.files.length).toBeGreaterThan(3);
    for (const f of m.files) expect(sha256(readFileSync(join(folder, f.path))), f.path).toBe(f.sha256);
    expect(m.files.map((f) => f.path)).toContain('model.safetensors');

    const second = await push('team/tiny', api.tokens.MAINTAINER);
    expect(second.code, second.out).toBe(0);
    const again = await model('team/tiny');
    expect(again.revisions).toHaveLength(2);
    expect(second.out).toContain(`revision ${again.revisions[0]!.sha}`);
  });

  it('without a token, or with a reader’s, it stops with the reason and pushes nothing', async () => {
    const none = await push('team/none', null);
    expect(none.code).not.toBe(0);
    expect(none.out).toMatch(/BONSAI_TOKEN/);
    const reader = await push('team/reader', api.tokens.READER);
    expect(reader.code).not.toBe(0);
    expect(reader.out).toMatch(/MAINTAINER|maintainer|403|forbidden/i);
    // The remote's reason, not the client library's stack.
    expect(reader.out).not.toMatch(/node_modules| {4}at /);
    expect(await api.db.prisma.model.count({ where: { name: { in: ['none', 'reader'] } } })).toBe(0);
  });
});
