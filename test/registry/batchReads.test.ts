// The batched reads behind the API's DataLoaders answer in the order of the ids asked, with null
// (one row) or an empty list (many) for an id that has none: DataLoader's contract for a batch
// function (graphql/dataloader README, "Batch Function"), which a plain findMany does not keep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childCountsOf, childEdgesOf, jobsByIds, jobsOfModels, modelsByIds, parentEdgesOf } from '../../src/registry/batchReads.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
const ids: Record<'root' | 'a' | 'b' | 'merged', string> = { root: '', a: '', b: '', merged: '' };
const MISSING = '0198a5c2-0000-7000-8000-000000000000';

beforeAll(async () => {
  db = await createTestDatabase();
  for (const name of ['root', 'a', 'b', 'merged'] as const) {
    ids[name] = (await db.prisma.model.create({ data: { owner: 'o', name, kind: name === 'root' ? 'BASE' : 'DERIVED' } })).id;
  }
  const edge = (parentId: string, childId: string, relation: 'WIDTH_PRUNED' | 'DEPTH_PRUNED' | 'MERGED', position = 0) =>
    db.prisma.lineageEdge.create({ data: { parentId, childId, relation, recipe: {}, position } });
  await edge(ids.root, ids.a, 'WIDTH_PRUNED');
  await edge(ids.root, ids.b, 'DEPTH_PRUNED');
  // A merge of b (second parent) and a (first parent), created in that order.
  await edge(ids.b, ids.merged, 'MERGED', 1);
  await edge(ids.a, ids.merged, 'MERGED', 0);
});
afterAll(async () => {
  await db?.drop();
});

describe('batched reads', () => {
  it('one row per id, in the order asked, null for a missing one', async () => {
    const rows = await modelsByIds(db, [ids.b, MISSING, ids.root, ids.b]);
    expect(rows.map((r) => r?.name ?? null)).toEqual(['b', null, 'root', 'b']);
    expect(await jobsByIds(db, [MISSING])).toEqual([null]);
  });

  it('lists per id, in the order asked, empty for an id with none', async () => {
    const parents = await parentEdgesOf(db, [ids.root, ids.merged, ids.a]);
    expect(parents[0]).toEqual([]);
    // Primary parent first, whatever order the edges were written in.
    expect(parents[1]!.map((e) => e.parentId)).toEqual([ids.a, ids.b]);
    expect(parents[2]!.map((e) => e.parentId)).toEqual([ids.root]);
    const children = await childEdgesOf(db, [ids.merged, ids.root]);
    expect(children[0]).toEqual([]);
    expect(children[1]!.map((e) => e.childId)).toEqual([ids.a, ids.b]);
    expect(await jobsOfModels(db, [ids.a, MISSING])).toEqual([[], []]);
  });

  it('children counted per relation, relations in name order', async () => {
    expect(await childCountsOf(db, [ids.a, ids.root, ids.merged])).toEqual([
      [{ relation: 'MERGED', count: 1 }],
      [
        { relation: 'DEPTH_PRUNED', count: 1 },
        { relation: 'WIDTH_PRUNED', count: 1 },
      ],
      [],
    ]);
  });
});
