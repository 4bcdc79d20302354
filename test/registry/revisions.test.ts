// Revisions: a registration and a prune result each make an immutable revision with a 40-hex sha;
// main is the newest; an older revision stays downloadable by its sha and can be pruned; the
// lineage edge records the parent revision a child was made from.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRevision } from '../../src/registry/revisions.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { waitFor } from '../helpers/waitFor.js';

let api: TestApi;
const REPO = 'bible/tiny-llama-kjv';

beforeAll(async () => {
  api = await startTestApi({ modelRoots: [dirname(sharedModel)] });
  await api.startRunner([dirname(sharedModel)]);
  await api.register(sharedModel, REPO);
});
afterAll(async () => {
  await api?.close();
});

type Revision = { sha: string; message: string; source: string | null; files: Array<{ path: string; sha256: string }> };

async function revisions(name: string): Promise<{ revision: string; revisions: Revision[] }> {
  const r = await api.gql<{ model: { revision: string; revisions: Revision[] } }>(
    'query($n: String!) { model(name: $n) { revision revisions { sha message source files { path sha256 } } } }',
    { n: name },
  );
  expect(r.errors).toBeUndefined();
  return r.data!.model;
}

async function spawn(parentRevision?: string): Promise<string> {
  const r = await api.gql<{ spawnPrunedVariant: { model: { name: string }; edge: { parentRevision: string } } }>(
    'mutation($rev: String, $n: String) { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", parentRevision: $rev, name: $n, recipe: { mlpWidth: { pruningFraction: 0.25 } }) { model { name } edge { parentRevision } } }',
    { rev: parentRevision ?? null, n: parentRevision ? 'bible/from-old' : null },
  );
  expect(r.errors).toBeUndefined();
  const name = r.data!.spawnPrunedVariant.model.name;
  await waitFor(`${name} READY`, async () => {
    const m = await api.gql<{ model: { status: string } }>('query($n: String!) { model(name: $n) { status } }', { n: name });
    if (m.data?.model.status === 'FAILED') throw new Error(`${name} failed`);
    return m.data?.model.status === 'READY' ? true : undefined;
  });
  return name;
}

describe('revisions', () => {
  let first: string;

  it('a registration is one revision: a 40-hex sha, its source by name under the import root, its files', async () => {
    const m = await revisions(REPO);
    expect(m.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(m.revisions).toHaveLength(1);
    expect(m.revisions[0]!.sha).toBe(m.revision);
    expect(m.revisions[0]!.source).toBe('tiny-llama-kjv');
    const weights = m.revisions[0]!.files.find((f) => f.path === 'model.safetensors')!;
    expect(weights.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(sharedModel, 'model.safetensors')))
        .digest('hex'),
    );
    first = m.revision;
  });

  it('a prune result is the child’s revision, and its edge records the parent revision it came from', async () => {
    const child = await spawn();
    const m = await revisions(child);
    expect(m.revisions).toHaveLength(1);
    expect(m.revisions[0]!.source).toBe(`${REPO}@${first}`);
    const edge = await api.gql<{ model: { parents: Array<{ parentRevision: string }> } }>(
      'query($n: String!) { model(name: $n) { parents { parentRevision } } }',
      { n: child },
    );
    expect(edge.data!.model.parents[0]!.parentRevision).toBe(first);
  });

  it('after a new revision, main moves and the old one stays readable, downloadable and prunable by its sha', async () => {
    // A second commit of the parent without generation_config.json (as an upload deleting it would make).
    const model = (await api.db.prisma.model.findFirst({ where: { name: 'tiny-llama-kjv' } }))!;
    const files = await api.db.prisma.artifactFile.findMany({ where: { artifactId: model.artifactId! } });
    const kept = files.filter((f) => f.path !== 'generation_config.json');
    await api.db.prisma.$transaction(async (tx) => {
      const artifact = await tx.artifact.create({ data: { totalBytes: kept.reduce((a, f) => a + f.size, 0n) } });
      await tx.artifactFile.createMany({
        data: kept.map((f) => ({ artifactId: artifact.id, path: f.path, sha256: f.sha256, size: f.size })),
      });
      await tx.model.update({ where: { id: model.id }, data: { artifactId: artifact.id } });
      await createRevision(tx, { modelId: model.id, artifactId: artifact.id, message: 'Delete generation_config.json' });
    });
    const m = await revisions(REPO);
    expect(m.revisions.map((r) => r.sha)).toEqual([m.revision, first]);
    expect(m.revision).not.toBe(first);

    const url = (rev: string) => `${api.server.url}/${REPO}/resolve/${rev}/generation_config.json`;
    expect((await fetch(url('main'))).status).toBe(404);
    const old = await fetch(url(first));
    expect(old.status).toBe(200);
    expect(old.headers.get('x-repo-commit')).toBe(first);
    expect(Buffer.from(await old.arrayBuffer()).equals(readFileSync(join(sharedModel, 'generation_config.json')))).toBe(true);
    // A prefix of seven hex digits names it too, as git accepts.
    expect((await fetch(url(first.slice(0, 7)))).status).toBe(200);

    const at = await api.gql<{ model: { files: Array<{ path: string }> } }>(
      'query($n: String!, $r: String) { model(name: $n) { files(revision: $r) { path } } }',
      { n: REPO, r: first },
    );
    expect(at.data!.model.files.map((f) => f.path)).toContain('generation_config.json');

    // Pruned from the old revision: the child's record names the parent files it was made from.
    const child = await spawn(first);
    const recipe = await fetch(`${api.server.url}/${child}/resolve/main/bonsai_recipe.json`);
    const parentFiles = ((await recipe.json()) as { parent: { files: Record<string, string> } }).parent.files;
    expect(Object.keys(parentFiles)).toContain('generation_config.json');
    const edge = await api.gql<{ model: { parents: Array<{ parentRevision: string }> } }>(
      'query($n: String!) { model(name: $n) { parents { parentRevision } } }',
      { n: child },
    );
    expect(edge.data!.model.parents[0]!.parentRevision).toBe(first);
  });

  it('a revision that is not in the history is NOT_FOUND naming it, everywhere a revision is read', async () => {
    const r = await api.gql(
      'query($n: String!) { model(name: $n) { files(revision: "0123456789abcdef0123456789abcdef01234567") { path } } }',
      {
        n: REPO,
      },
    );
    expect(r.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(r.errors?.[0]?.message).toMatch(/revision not found: 0123456/);
    const s = await api.gql(
      'mutation { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", parentRevision: "v1", recipe: { mlpWidth: { pruningFraction: 0.5 } }) { model { name } } }',
    );
    expect(s.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const res = await fetch(`${api.server.url}/${REPO}/resolve/deadbeef/config.json`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-error-code')).toBe('RevisionNotFound');
  });
});
