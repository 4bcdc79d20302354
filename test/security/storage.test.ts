// A full artifact store, on a real full file system: a 40 MiB tmpfs mounted as the store inside
// a mount namespace (`unshare -rm`, which needs no privileges). Registering files whose blobs
// exist writes nothing and succeeds; registering a new file is STORAGE_FULL (HTTP 507) with
// nothing left behind: no row, no blob, no staging copy.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySharedModel } from '../fixtures/checkpoints.js';
import { childEntry } from '../helpers/childEntry.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir('bonsai-full-root-');
const store = tempDir('bonsai-full-store-');
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  for (const name of ['a', 'b']) copySharedModel(join(root, name));
  // b differs from a in one small file, whose blob is new.
  writeFileSync(join(root, 'b', 'README.md'), `${'a different card\n'.repeat(2000)}`);
});
afterAll(async () => {
  await db?.drop();
});

type Reply = { status: number; body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } };

describe('a full artifact store', () => {
  it('dedups without a staging copy, and reports STORAGE_FULL with nothing left behind', async () => {
    // From a bundle, as the CLI starts (test/helpers/childEntry.ts): through tsx, every module of the
    // server the child imports was compiled again in each run (its cache is in the file's TMPDIR).
    // Node and its arguments are the shell's positional parameters, never parsed as shell text.
    const child = await childEntry('test/security/children/storageFull.ts', 'test-storage-full');
    const out = execFileSync(
      'unshare',
      ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=40m tmpfs "$STORE" && exec "$@"', 'sh', process.execPath, ...child],
      { env: { ...process.env, DATABASE_URL: db.url, STORE: store, ROOT: root }, encoding: 'utf8', timeout: 120_000 },
    );
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
      first: Reply;
      again: Reply;
      full: Reply;
      blobsBefore: string[];
      blobsAfter: string[];
      tmpAfter: string[];
    };
    expect(r.first.body.errors).toBeUndefined();
    // Every blob of `a` exists: nothing to write on a full disk, so it succeeds.
    expect(r.again.body.errors).toBeUndefined();
    expect(r.again.body.data).toEqual({ registerModel: { model: { name: 's/a-again' } } });
    expect(r.full.status).toBe(507);
    expect(r.full.body.errors?.[0]?.extensions).toEqual({ code: 'STORAGE_FULL' });
    expect(r.full.body.errors?.[0]?.message).toMatch(/the artifact store is full/);
    expect(r.blobsAfter).toEqual(r.blobsBefore);
    expect(r.tmpAfter).toEqual([]);
    const names = (await db.prisma.model.findMany({ select: { owner: true, name: true }, orderBy: { name: 'asc' } })).map(
      (m) => `${m.owner}/${m.name}`,
    );
    expect(names).toEqual(['s/a', 's/a-again']);
    expect(await db.prisma.artifact.count()).toBe(2);
  });
});
