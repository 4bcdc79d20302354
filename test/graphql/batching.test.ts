// N+1: listing models with their parents, children counts and evaluations costs the same number
// of SQL statements for 10 models as for 100 (DataLoaders batch each field into one statement).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
let statements: string[] = [];

beforeAll(async () => {
  // A minute, not the default 2 s: on a loaded machine two requests can be more than 2 s apart, and
  // the test is about what is cached, not for how long.
  api = await startTestApi({ onQuery: (sql) => statements.push(sql), catalogMaxAgeSeconds: 60 });
  const p = api.db.prisma;
  const root = randomUUID();
  await p.model.create({ data: { id: root, owner: 'n1', name: 'root', kind: 'BASE', status: 'READY', parameterCount: 1000n } });
  const ids = Array.from({ length: 120 }, () => randomUUID());
  await p.model.createMany({
    data: ids.map((id, i) => ({
      id,
      owner: 'n1',
      name: `child-${i}`,
      kind: 'DERIVED' as const,
      status: 'READY' as const,
      parameterCount: BigInt(900 - i),
    })),
  });
  await p.lineageEdge.createMany({
    data: ids.map((id, i) => ({
      parentId: i < 10 ? root : ids[i % 10]!,
      childId: id,
      relation: i % 2 ? ('WIDTH_PRUNED' as const) : ('DEPTH_PRUNED' as const),
      recipe: { method: i % 2 ? 'mlp-width' : 'depth' },
    })),
  });
  await p.evaluation.createMany({
    data: ids.map((id, i) => ({
      modelId: id,
      task: 'perplexity',
      metric: 'perplexity',
      value: 10 + i,
      settings: {},
      settingsKey: 'k'.repeat(64),
    })),
  });
});
afterAll(async () => {
  await api.close();
});

const LIST = `query($n: Int!) { models(first: $n, orderBy: { field: NAME, direction: ASC }) {
  nodes { name parameterCount parents { relation parent { name } } childCounts { relation count } evaluations(task: "perplexity") { value } }
} }`;

async function count(n: number): Promise<{ statements: number; nodes: number }> {
  statements = [];
  const r = await api.gql<{ models: { nodes: unknown[] } }>(LIST, { n }, null);
  expect(r.errors).toBeUndefined();
  return { statements: statements.length, nodes: r.data!.models.nodes.length };
}

describe('batching', () => {
  it('uses a constant number of statements for 10 and 100 models', async () => {
    const ten = await count(10);
    const hundred = await count(100);
    expect(ten.nodes).toBe(10);
    expect(hundred.nodes).toBe(100);
    expect(hundred.statements).toBe(ten.statements);
    // list + parents + parent models + child counts + evaluations
    expect(hundred.statements).toBeLessThanOrEqual(6);
  });

  it('identical anonymous requests in flight together run once and all get the answer', async () => {
    const one = await count(7);
    statements = [];
    // n = 8: not in the response cache yet, so without coalescing each of the 20 would run.
    const answers = await Promise.all(Array.from({ length: 20 }, () => api.gql<{ models: { nodes: unknown[] } }>(LIST, { n: 8 }, null)));
    for (const a of answers) expect(a.data!.models.nodes).toHaveLength(8);
    expect(statements.length).toBeLessThan(3 * one.statements);
    // With a valid token, a public catalog answer is shared too (it is the same for every reader).
    statements = [];
    await api.gql('{ viewer { name } }', {}, api.tokens.READER); // the token verified and remembered
    statements = [];
    const withToken = await Promise.all(
      Array.from({ length: 20 }, () => api.gql<{ models: { nodes: unknown[] } }>(LIST, { n: 9 }, api.tokens.READER)),
    );
    for (const a of withToken) expect(a.data!.models.nodes).toHaveLength(9);
    expect(statements.length).toBeLessThan(3 * one.statements);
    // A bad token joins nothing: it gets its own UNAUTHENTICATED answer.
    const bad = await api.gql(LIST, { n: 9 }, 'bonsai_not-a-token');
    expect(bad.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('catalog reads are cached, for anonymous and token readers alike; jobs always run', async () => {
    const post = async (query: string, token?: string) => {
      statements = [];
      const res = await fetch(`${api.server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query }),
      });
      const body = (await res.json()) as { errors?: unknown };
      expect(body.errors).toBeUndefined();
      return { ran: statements.length, cacheControl: res.headers.get('cache-control') };
    };
    const catalog = '{ models(first: 3) { nodes { name parents { relation parent { name } } } } }';
    const first = await post(catalog);
    expect(first.ran).toBeGreaterThan(0);
    expect(first.cacheControl).toBe('max-age=60, public');
    expect((await post(catalog)).ran).toBe(0);
    // Same data with a token: the same answer, from the same cache. The token is verified first (a
    // verified token is remembered for 5 s, so on a loaded machine the earlier test's verification
    // may have expired; its lookup is not what this counts).
    await post('{ viewer { name } }', api.tokens.READER);
    const withToken = await post(catalog, api.tokens.READER);
    expect(withToken.ran).toBe(0);
    expect(withToken.cacheControl).toBe('max-age=60, public');
    // A Job anywhere in the answer makes it uncacheable: progress is never stale.
    const jobs = '{ models(first: 3) { nodes { name jobs { status progress } } } }';
    expect((await post(jobs)).cacheControl).toBeNull();
    expect((await post(jobs)).ran).toBeGreaterThan(0);
    // A scalar at the root is not catalog data either.
    expect((await post('{ __typename }')).cacheControl).toBeNull();
  });

  it('child counts are per relation and exact', async () => {
    const r = await api.gql<{ model: { childCounts: Array<{ relation: string; count: number }> } }>(
      '{ model(name: "n1/child-1") { childCounts { relation count } } }',
    );
    // child-1 (index 1) is the parent of indices 11, 21, …, 111: 11 children, all odd → WIDTH_PRUNED.
    expect(r.data!.model.childCounts).toEqual([{ relation: 'WIDTH_PRUNED', count: 11 }]);
  });

  it('paginates with cursors without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r: { data?: { models: { nodes: Array<{ name: string }>; pageInfo: { hasNextPage: boolean; endCursor: string } } } | null } =
        await api.gql(
          `query($after: String) { models(first: 25, after: $after, orderBy: { field: PARAMETER_COUNT, direction: DESC }) { nodes { name } pageInfo { hasNextPage endCursor } } }`,
          { after },
        );
      seen.push(...r.data!.models.nodes.map((m) => m.name));
      if (!r.data!.models.pageInfo.hasNextPage) break;
      after = r.data!.models.pageInfo.endCursor;
    }
    expect(seen.length).toBe(121);
    expect(new Set(seen).size).toBe(121);
    expect(seen[0]).toBe('n1/root');
  });

  it('filters by relation, method, parameter range and text', async () => {
    const q = async (filter: Record<string, unknown>) =>
      (await api.gql<{ models: { totalCount: number } }>('query($f: ModelFilter) { models(filter: $f) { totalCount } }', { f: filter }))
        .data!.models.totalCount;
    expect(await q({ relation: ['WIDTH_PRUNED'] })).toBe(60);
    expect(await q({ method: ['depth'] })).toBe(60);
    expect(await q({ minParameters: '850', maxParameters: '900' })).toBe(51);
    expect(await q({ search: 'child-11' })).toBe(11);
    expect(await q({ kind: 'BASE' })).toBe(1);
  });
});
