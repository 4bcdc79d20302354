// Hostile GraphQL input, in the manner of graphql-cop and the OWASP GraphQL cheat sheet: every
// client mistake is HTTP 400 with a typed code naming the field, never a 500 or Prisma's message;
// names are unique ignoring case; one description limit; no schema hints in production.
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;
let production: TestApi;

beforeAll(async () => {
  api = await startTestApi({ modelRoots: [dirname(sharedModel)] });
  production = await startTestApi({ production: true });
  await api.register(sharedModel, 'Bible/Tiny-Llama-KJV');
});
afterAll(async () => {
  await api?.close();
  await production?.close();
});

type Body = { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

async function post(server: TestApi, query: string, variables?: Record<string, unknown>, token?: string | null) {
  const res = await fetch(`${server.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Body, text };
}

/** A client error: 400, the code, no Prisma text, no source path. */
function expectClientError(r: Awaited<ReturnType<typeof post>>, code: string, field?: RegExp) {
  expect(r.status, r.text).toBe(400);
  expect(r.body.errors?.[0]?.extensions?.code).toBe(code);
  expect(r.text).not.toMatch(/prisma|Invalid `|\/src\/|node_modules/i);
  if (field) expect(r.body.errors?.[0]?.message).toMatch(field);
}

describe('bad variable values are 400 BAD_USER_INPUT naming the variable', () => {
  it('an unknown enum value', async () => {
    const r = await post(api, 'query($s: [ModelStatus!]) { models(filter: { status: $s }) { totalCount } }', { s: ['NOPE'] });
    expectClientError(r, 'BAD_USER_INPUT', /\$s.*NOPE/);
  });

  it('4,096 invalid enum values in one list: 400 at once (coercion stops at 50 errors, as execute does; 10,000 took 1.2 s)', async () => {
    const q = 'query($k: [JobKind!]) { jobs(filter: { kind: $k }) { id } }';
    await post(api, q, { k: ['NOPE'] }); // the first request of a kind compiles code paths
    const started = performance.now();
    const r = await post(api, q, { k: new Array(4096).fill('') });
    expectClientError(r, 'BAD_USER_INPUT', /\$k.*JobKind/);
    expect(performance.now() - started).toBeLessThan(500); // 2 s without the bound
  });

  it('a list longer than 4,096 items, as a variable or a literal, is 400 naming it; a model filter takes 100 values (100,000 licenses held Prisma for 18 s)', async () => {
    const started = performance.now();
    const q = 'query($l: [String!]) { models(filter: { license: $l }) { totalCount } }';
    expectClientError(
      await post(api, q, { l: new Array(100_000).fill('x') }),
      'BAD_USER_INPUT',
      /^\$l: a list may hold at most 4,096 items/,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    const nestedList = await post(api, 'query($f: ModelFilter) { models(filter: $f) { totalCount } }', {
      f: { status: new Array(5000).fill('READY') },
    });
    expectClientError(nestedList, 'BAD_USER_INPUT', /^\$f\.status: a list/);
    const literal = await post(api, `{ models(filter: { license: [${new Array(5000).fill('"x"').join(',')}] }) { totalCount } }`);
    expectClientError(literal, 'BAD_USER_INPUT', /^filter\.license: a list/);
    // A model filter takes at most 100 different values per list (each is an ILIKE term); repeats count once.
    // (a resolver's error: HTTP 200 with the error, as GraphQL over HTTP answers errors raised while executing)
    const many = await post(api, q, { l: Array.from({ length: 101 }, (_, i) => `license-${i}`) });
    expect(many.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(many.body.errors?.[0]?.message).toMatch(/^filter\.license: at most 100 different values \(got 101\)/);
    const repeats = await post(api, q, { l: new Array(4096).fill('no-such-license') });
    expect(repeats.status, repeats.text).toBe(200);
    expect(repeats.body.data?.models).toEqual({ totalCount: 0 });
  });

  it('a megabyte of text is not sent back: messages quoting it are cut at 2,000 characters; a search is at most 1,000', async () => {
    const big = 'x'.repeat(1_000_000);
    const r = await post(api, 'query($id: ID!) { node(id: $id) { __typename } }', { id: big });
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // The id's own message quotes only its first 200 characters.
    expect(r.body.errors?.[0]?.message).toBe(`id: "${'x'.repeat(200)}" is not an id from this API`);
    expect(r.text.length).toBeLessThan(3000);
    // Any other message that would quote it whole is cut at 2,000 characters.
    const named = await post(api, 'query($n: String) { model(name: $n) { name } }', { n: `a/${big}` });
    expect(named.body.errors?.[0]?.message).toMatch(/… \(1,0\d\d,\d\d\d characters, cut\)$/);
    expect(named.text.length).toBeLessThan(3000);
    const search = await post(api, 'query($s: String) { models(filter: { search: $s }) { totalCount } }', { s: big });
    expect(search.body.errors?.[0]?.message).toBe('filter.search: at most 1,000 characters (got 1,000,000)');
  });

  it('a BigInt beyond 64 bits, as digits and as a number', async () => {
    const q = 'query($m: BigInt) { models(filter: { minParameters: $m }) { totalCount } }';
    expectClientError(await post(api, q, { m: '99999999999999999999999999' }), 'BAD_USER_INPUT', /\$m.*BigInt/);
    expectClientError(await post(api, q, { m: 1e30 }), 'BAD_USER_INPUT', /\$m/);
    // The largest bigint PostgreSQL holds is accepted and matches nothing.
    const ok = await post(api, q, { m: '9223372036854775807' });
    expect(ok.status).toBe(200);
    expect(ok.body.data?.models).toEqual({ totalCount: 0 });
  });

  it('a BigInt literal beyond 64 bits is a validation error', async () => {
    const r = await post(api, '{ models(filter: { minParameters: "99999999999999999999999999" }) { totalCount } }');
    expectClientError(r, 'GRAPHQL_VALIDATION_FAILED', /BigInt/);
  });

  it('expiresAt: "tomorrow", a year past 275760 and a six-digit year', async () => {
    const q = 'mutation($e: DateTime) { createApiToken(name: "x", role: READER, expiresAt: $e) { secret } }';
    for (const e of ['tomorrow', '+275761-01-01T00:00:00Z', '+099999-01-01T00:00:00Z', '2027-13-45T00:00:00Z']) {
      expectClientError(await post(api, q, { e }, api.tokens.ADMIN), 'BAD_USER_INPUT', /\$e.*DateTime/);
    }
    const ok = await post(api, q, { e: '2099-01-01T00:00:00Z' }, api.tokens.ADMIN);
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
  });
});

describe('NUL characters in any string input are 400 BAD_USER_INPUT naming the field', () => {
  const cases: Array<[string, string, Record<string, unknown>, RegExp]> = [
    ['search (variable)', 'query($s: String) { models(filter: { search: $s }) { totalCount } }', { s: 'a\u0000b' }, /^\$s:/],
    ['search (literal)', '{ models(filter: { search: "a\\u0000b" }) { totalCount } }', {}, /^filter\.search:/],
    [
      'description',
      'mutation($d: String) { updateModel(model: "bible/tiny-llama-kjv", description: $d) { name } }',
      { d: 'x\u0000' },
      /^\$d:/,
    ],
    ['token name', 'mutation { createApiToken(name: "a\\u0000b", role: READER) { secret } }', {}, /^name:/],
    [
      'recipe field',
      'mutation($r: PruningRecipeInput!) { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", recipe: $r) { job { id } } }',
      { r: { vocab: { corpus: ['/tmp/a\u0000.txt'] } } },
      /^\$r\.vocab\.corpus\[0\]:/,
    ],
    [
      'register path',
      'mutation($p: String!) { registerModel(path: $p, name: "a/b") { model { id } } }',
      { p: `${sharedModel}\u0000` },
      /^\$p:/,
    ],
  ];
  for (const [what, query, variables, field] of cases) {
    it(what, async () => {
      const r = await post(api, query, variables, api.tokens.ADMIN);
      expectClientError(r, 'BAD_USER_INPUT', field);
    });
  }

  it('leaves nothing behind', async () => {
    const tokens = await api.db.prisma.apiToken.count({ where: { name: { startsWith: 'a', endsWith: 'b' } } });
    expect(tokens).toBe(0);
    expect(await api.db.prisma.model.count()).toBe(1);
  });
});

/** A request body written by hand: JSON.stringify itself recurses over a deep value. */
async function postBody(server: TestApi, body: string) {
  const res = await fetch(`${server.server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Body, text };
}

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('deeply nested input: the JSON policy of src/formats/json.ts (128 levels)', () => {
  const search = JSON.stringify('query($s: String) { models(filter: { search: $s }) { totalCount } }');

  it('a variable nested 10,000 deep is 400 BAD_USER_INPUT naming it, quickly, in development and production', async () => {
    for (const server of [api, production]) {
      const started = performance.now();
      const r = await postBody(server, `{"query": ${search}, "variables": {"s": ${nested(10_000)}}}`);
      expectClientError(r, 'BAD_USER_INPUT', /^\$s: nested more than 128 levels deep/);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it('the same through a GET request, and for extensions', async () => {
    const get = await fetch(
      `${api.server.url}/graphql?query=${encodeURIComponent('query($s: String) { models(filter: { search: $s }) { totalCount } }')}&variables=${encodeURIComponent(`{"s":${nested(1000)}}`)}`,
      { headers: { 'apollo-require-preflight': 'true' } },
    );
    const text = await get.text();
    expectClientError({ status: get.status, body: JSON.parse(text) as Body, text }, 'BAD_USER_INPUT', /^\$s: nested more than 128/);
    const ext = await postBody(api, `{"query": "{ __typename }", "extensions": {"x": ${nested(10_000)}}}`);
    expectClientError(ext, 'BAD_USER_INPUT', /^extensions: nested more than 128/);
  });

  it('a query document nested 10,000 deep (a literal, selections) is 400 naming `query`, not a parser stack overflow', async () => {
    for (const query of [
      `{ models(filter: { search: ${nested(10_000)} }) { totalCount } }`,
      `{ models(filter: ${'{ a: '.repeat(10_000)}1${' }'.repeat(10_000)}) { totalCount } }`,
      `{ ${'models { edges { node { '.repeat(1000)}id${' } } }'.repeat(1000)} }`,
    ]) {
      expectClientError(await postBody(api, JSON.stringify({ query })), 'BAD_USER_INPUT', /^query: nested more than 256 levels deep/);
    }
    // A JSON literal of 128 levels inside a query passes the scan.
    const ok = await postBody(api, JSON.stringify({ query: `{ models(filter: { search: ${nested(128)} }) { totalCount } }` }));
    expect(ok.text).not.toMatch(/nested more than/);
  });

  it('a document of more than 20,000 tokens is 400 GRAPHQL_PARSE_FAILED before it is built (a 150,000-item list literal)', async () => {
    const query = `{ jobs(filter: { kind: [${new Array(150_000).fill('CARD').join(',')}] }) { id } }`;
    const started = performance.now();
    expectClientError(await postBody(api, JSON.stringify({ query })), 'GRAPHQL_PARSE_FAILED', /more (than|that) 20000 tokens/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('128 levels pass the policy and reach the type check', async () => {
    const r = await postBody(api, `{"query": ${search}, "variables": {"s": ${nested(128)}}}`);
    expectClientError(r, 'BAD_USER_INPUT', /\$s.*String cannot represent/);
  });
});

describe('limits', () => {
  it('refuses batched requests (an array of operations), which would multiply every other limit', async () => {
    const res = await fetch(`${api.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 3 }, () => ({ query: '{ models { totalCount } }' }))),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/batch/i);
  });

  it('a query over the cost limit is 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const r = await post(api, '{ models(first: 100) { edges { node { jobs(first: 100) { id logTail payload } } } } }');
    expect(r.status, r.text).toBe(400);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.body.errors?.[0]?.message).toMatch(/query cost \d+ is over the limit/);
  });

  it('one description limit on register, spawn and update: 10,000 characters', async () => {
    const long = 'x'.repeat(10_001);
    const register = await post(
      api,
      'mutation($p: String!, $d: String) { registerModel(path: $p, name: "a/long", description: $d) { model { id } } }',
      { p: sharedModel, d: long },
      api.tokens.MAINTAINER,
    );
    const spawn = await post(
      api,
      'mutation($d: String) { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", recipe: { depth: { last: 2 } }, description: $d) { job { id } } }',
      { d: long },
      api.tokens.MAINTAINER,
    );
    const update = await post(
      api,
      'mutation($d: String) { updateModel(model: "bible/tiny-llama-kjv", description: $d) { name } }',
      { d: long },
      api.tokens.MAINTAINER,
    );
    for (const r of [register, spawn, update]) {
      expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'description' });
      expect(r.body.errors?.[0]?.message).toMatch(/at most 10,000 characters/);
    }
    expect(await api.db.prisma.model.count()).toBe(1);
    expect(await api.db.prisma.job.count()).toBe(0);
    // At the limit it is accepted.
    const ok = await post(
      api,
      'mutation($d: String) { updateModel(model: "bible/tiny-llama-kjv", description: $d) { name } }',
      { d: 'y'.repeat(10_000) },
      api.tokens.MAINTAINER,
    );
    expect(ok.body.errors).toBeUndefined();
  });
});

describe('model names are unique ignoring case, as on the Hub', () => {
  it('finds a model by its name in any case', async () => {
    for (const name of ['BIBLE/TINY-LLAMA-KJV', 'bible/tiny-llama-kjv', 'Bible/Tiny-Llama-KJV']) {
      const r = await post(api, 'query($n: String) { model(name: $n) { owner name } }', { n: name });
      expect(r.body.data?.model).toEqual({ owner: 'Bible', name: 'Bible/Tiny-Llama-KJV' });
    }
  });

  it('refuses a second model whose name differs only in case: CONFLICT on name', async () => {
    const r = await post(
      api,
      'mutation($p: String!) { registerModel(path: $p, name: "bible/tiny-llama-kjv") { model { id } } }',
      { p: sharedModel },
      api.tokens.MAINTAINER,
    );
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' });
    expect(r.body.errors?.[0]?.message).toMatch(/Bible\/Tiny-Llama-KJV exists already \(names are unique ignoring case\)/);
    const spawn = await post(
      api,
      'mutation { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", recipe: { depth: { last: 2 } }, name: "BIBLE/tiny-llama-kjv") { job { id } } }',
      {},
      api.tokens.MAINTAINER,
    );
    expect(spawn.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' });
    expect(await api.db.prisma.model.count()).toBe(1);
  });

  it('the database refuses it too (unique index on lower(owner), lower(name))', async () => {
    const row = await api.db.prisma.model.findFirstOrThrow();
    await expect(
      api.db.prisma.model.create({ data: { owner: 'BIBLE', name: 'tiny-llama-KJV', kind: 'BASE', status: 'READY' } }),
    ).rejects.toMatchObject({ code: 'P2002' });
    expect(row.owner).toBe('Bible');
  });
});

describe('production', () => {
  it('gives no field suggestions ("Did you mean") and no introspection', async () => {
    const r = await post(production, '{ modelz }');
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.text).not.toMatch(/Did you mean/);
    const dev = await post(api, '{ modelz }');
    expect(dev.text).toMatch(/Did you mean/);
    const introspection = await post(production, '{ __schema { types { name } } }');
    expect(introspection.status).toBe(400);
  });

  it('gives no suggestions for bad variables either (a misspelt input field, an enum value)', async () => {
    const plan = 'query($r: PruningRecipeInput!) { pruningPlan(parent: "bible/tiny-llama-kjv", recipe: $r) { parametersAfter } }';
    const token = 'mutation($role: TokenRole!) { createApiToken(name: "x", role: $role) { secret } }';
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      [plan, { r: { mlpWidth: { pruningFractoin: 0.2 } } }, /pruningFractoin/],
      [token, { role: 'admn' }, /admn/],
    ];
    for (const [query, variables, names] of cases) {
      const r = await post(production, query, variables, production.tokens.ADMIN);
      expectClientError(r, 'BAD_USER_INPUT', names);
      expect(r.text).not.toMatch(/Did you mean|pruningFraction"|ADMIN/);
      // Development keeps them: they help whoever writes the query.
      expect((await post(api, query, variables, api.tokens.ADMIN)).text).toMatch(/Did you mean/);
    }
  });

  it('an unsupported persisted query version is 400 BAD_REQUEST, not an internal error', async () => {
    for (const server of [api, production]) {
      const r = await postBody(
        server,
        JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: 'x' } } }),
      );
      expectClientError(r, 'BAD_REQUEST', /persisted query version/);
      const wrongHash = await postBody(
        server,
        JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } }),
      );
      expectClientError(wrongHash, 'BAD_REQUEST', /sha does not match/);
    }
  });

  it('keeps client errors typed and 400 in production, without stack traces', async () => {
    const r = await post(production, 'query($s: String) { models(filter: { search: $s }) { totalCount } }', { s: '\u0000' });
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.text).not.toMatch(/stacktrace|\/src\//);
  });
});
