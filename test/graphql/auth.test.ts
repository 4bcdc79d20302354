// Every mutation needs a token: none → UNAUTHENTICATED, a reader's → FORBIDDEN; token
// management needs an admin. The list is checked against the schema, so a new mutation without
// an entry here fails this test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../../graphql/schema.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const MUTATIONS: Record<string, { doc: string; admin?: boolean }> = {
  registerModel: { doc: 'mutation { registerModel(path: "/tmp/x", name: "a/b") { model { id } } }' },
  spawnPrunedVariant: { doc: 'mutation { spawnPrunedVariant(parent: "a/b", recipe: { depth: { last: 1 } }) { model { id } } }' },
  evaluateModel: { doc: 'mutation { evaluateModel(model: "a/b", tasks: [{task: "speed"}]) { id } }' },
  exportOnnx: { doc: 'mutation { exportOnnx(model: "a/b") { id } }' },
  updateModel: { doc: 'mutation { updateModel(model: "a/b", description: "x") { id } }' },
  deleteModel: { doc: 'mutation { deleteModel(model: "a/b") { deletedIds } }' },
  cancelJob: { doc: 'mutation { cancelJob(id: "0198a5c2-0000-7000-8000-000000000000") { id } }' },
  retryJob: { doc: 'mutation { retryJob(id: "0198a5c2-0000-7000-8000-000000000000") { id } }' },
  createApiToken: { doc: 'mutation { createApiToken(name: "x", role: READER) { secret } }', admin: true },
  revokeApiToken: { doc: 'mutation { revokeApiToken(id: "0198a5c2-0000-7000-8000-000000000000") { id } }', admin: true },
};

describe('access', () => {
  it('the list covers every mutation of the schema', () => {
    const fields = Object.keys(buildSchema().getMutationType()!.getFields()).sort();
    expect(Object.keys(MUTATIONS).sort()).toEqual(fields);
  });

  it.each(Object.entries(MUTATIONS))('%s: no token → UNAUTHENTICATED, reader → FORBIDDEN', async (_name, m) => {
    const none = await api.gql(m.doc, {}, null);
    expect(none.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const reader = await api.gql(m.doc, {}, api.tokens.READER);
    expect(reader.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    if (m.admin) {
      const maintainer = await api.gql(m.doc, {}, api.tokens.MAINTAINER);
      expect(maintainer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('an unknown or revoked token is UNAUTHENTICATED, even for reads', async () => {
    expect((await api.gql('{ models { totalCount } }', {}, 'bonsai_nope')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const created = await api.gql<{ createApiToken: { secret: string; token: { id: string; role: string } } }>(
      'mutation { createApiToken(name: "ci", role: MAINTAINER) { secret token { id role } } }',
      {},
      api.tokens.ADMIN,
    );
    expect(created.data!.createApiToken.token.role).toBe('MAINTAINER');
    const secret = created.data!.createApiToken.secret;
    // Only the hash is stored.
    expect(await api.db.prisma.apiToken.count({ where: { tokenHash: secret } })).toBe(0);
    expect((await api.gql('{ viewer { name role } }', {}, secret)).data).toEqual({ viewer: { name: 'ci', role: 'MAINTAINER' } });
    await api.gql(
      `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`,
      { id: created.data!.createApiToken.token.id },
      api.tokens.ADMIN,
    );
    expect((await api.gql('{ models { totalCount } }', {}, secret)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('an Authorization header that is not a bearer token is refused, not read as anonymous, in GraphQL and the HTTP routes', async () => {
    const post = await fetch(`${api.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic dXNlcjpwYXNz' },
      body: JSON.stringify({ query: '{ models { totalCount } }' }),
    });
    const body = (await post.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const route = await fetch(`${api.server.url}/api/models`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(route.status).toBe(401);
  });

  it('reads are open without a token by default', async () => {
    const r = await api.gql<{ models: { totalCount: number } }>('{ models { totalCount } }', {}, null);
    expect(r.errors).toBeUndefined();
    expect(r.data!.models.totalCount).toBe(0);
  });
});

describe('limits', () => {
  it('refuses too deep, too many aliases, and too costly queries', async () => {
    const deep = `{ models { nodes { parents { parent { parents { parent { parents { parent { parents { parent { parents { parent { name } } } } } } } } } } } } }`;
    expect((await api.gql(deep)).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const aliases = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: health { version }`).join(' ')} }`;
    expect((await api.gql(aliases)).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const costly = '{ models(first: 100) { nodes { jobs(first: 100) { model { name files { path } evaluations { value } } } } } }';
    const r = await api.gql(costly);
    expect(r.errors?.[0]?.message).toMatch(/query cost \d+ is over the limit/);
    expect((await api.gql('{ models(first: 101) { totalCount } }')).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'first',
    });
  });
});
