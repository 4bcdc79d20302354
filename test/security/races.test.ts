// Simultaneous requests (issue 26): 200 spawns without a name each get a model, with distinct
// names chosen by the server (174 of them were CONFLICTs on names nobody gave); a name the client
// gave is still taken once; two retries of one cancelled job make one new job, not two.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;
const root = tempDir('bonsai-races-');

beforeAll(async () => {
  copySharedModel(join(root, 'kjv'));
  api = await startTestApi({ modelRoots: [root] });
  await api.register(join(root, 'kjv'), 'bible/kjv');
}, 120_000);
afterAll(async () => {
  await api?.close();
});

const SPAWN = `mutation($n: String) {
  spawnPrunedVariant(parent: "bible/kjv", name: $n, recipe: { depth: { last: 1 } }) { model { name } job { databaseId } }
}`;
type Spawned = { spawnPrunedVariant: { model: { name: string }; job: { databaseId: string } } };

describe('races', () => {
  it('200 simultaneous spawns without a name: 200 models, 200 distinct names', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => api.gql<Spawned>(SPAWN, {})));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const names = results.map((r) => r.data!.spawnPrunedVariant.model.name);
    expect(new Set(names).size).toBe(200);
    expect(names).toContain('bible/kjv-depth-last1');
    expect(names).toContain('bible/kjv-depth-last1-200');
    expect(await api.db.prisma.model.count({ where: { name: { startsWith: 'kjv-depth-last1' } } })).toBe(200);
  }, 120_000);

  it('20 simultaneous spawns with one explicit name: one model, 19 CONFLICTs on name', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => api.gql<Spawned>(SPAWN, { n: 'bible/chosen' })));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    for (const r of results.filter((r) => r.errors)) expect(r.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' });
  });

  it('two simultaneous retries of one cancelled job: one new job, the other CONFLICT', async () => {
    const spawned = await api.gql<Spawned>(SPAWN, { n: 'bible/retried' });
    const id = spawned.data!.spawnPrunedVariant.job.databaseId;
    const cancel = await api.gql(`mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id });
    expect(cancel.errors).toBeUndefined();
    const RETRY = `mutation($id: ID!) { retryJob(id: $id) { databaseId } }`;
    const results = await Promise.all(Array.from({ length: 2 }, () => api.gql(RETRY, { id })));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.find((r) => r.errors)!.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
    expect(await api.db.prisma.job.count({ where: { parentJobId: id } })).toBe(1);
  });
});
