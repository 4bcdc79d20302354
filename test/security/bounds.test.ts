// Every size-like input is bounded by what it refers to before anything proportional to it is
// allocated (issue 26, item 1): `pruningPlan(recipe: { depth: { last: 2147483647 } })` needed no
// token and ran the server out of memory. Generated sizes for every size-like recipe field, sent
// anonymously to pruningPlan: each answer is a plan (the size fits the model) or 400
// BAD_USER_INPUT naming the field, within a second, with /healthz answering throughout.
import { dirname } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipeInput } from '../../src/recipes/fields.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

const SEED = Number(process.env.BONSAI_FC_SEED ?? 20261204);
let api: TestApi;
/** The shared model: 6 layers, intermediate_size 512. */
const LAYERS = 6;
const INTERMEDIATE = 512;

beforeAll(async () => {
  api = await startTestApi({ modelRoots: [dirname(sharedModel)] });
  await api.register(sharedModel, 'bible/tiny-llama-kjv');
});
afterAll(async () => {
  await api?.close();
});

const PLAN = 'query($r: PruningRecipeInput!) { pruningPlan(parent: "bible/tiny-llama-kjv", recipe: $r) { parametersAfter } }';

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work;
  return { value, ms: performance.now() - start };
}

async function healthzMs(): Promise<number> {
  const { value, ms } = await timed(fetch(`${api.server.url}/healthz`));
  expect(value.status).toBe(200);
  return ms;
}

/** Sizes at the edges: around the model's own bound, around the schema's, and far beyond. */
const size = (bound: number) =>
  fc.oneof(
    fc.constantFrom(0, -1, 1, bound - 1, bound, bound + 1, 4096, 4097, 2 ** 31 - 1, 2 ** 53 - 1, 1e9),
    fc.integer({ min: -10, max: 2 * bound }),
  );

describe('size-like recipe fields are bounded before anything is allocated', () => {
  it('the attack of the issue: depth.last = 2³¹−1 anonymously is a quick BAD_USER_INPUT naming recipe.last', async () => {
    const res = await fetch(`${api.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ pruningPlan(parent: "bible/tiny-llama-kjv", recipe: { depth: { last: 2147483647 } }) { parametersAfter } }',
      }),
    });
    const body = (await res.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
    expect(body.errors?.[0]?.extensions?.code, JSON.stringify(body)).toBe('BAD_USER_INPUT');
    // GraphQL over HTTP answers 200 for an error raised while executing (application/json).
    expect(res.status).toBe(200);
    expect(body.errors?.[0]?.message).toMatch(/^recipe\.last: /);
  });

  const cases: Array<[string, fc.Arbitrary<Record<string, unknown>>, (r: Record<string, unknown>) => boolean, RegExp]> = [
    [
      'depth.last',
      size(LAYERS).map((n) => ({ method: 'depth', last: n })),
      (r) => (r.last as number) >= 1 && (r.last as number) < LAYERS,
      /recipe\.last|"r\.depth\.last"/,
    ],
    [
      'depth.count with a criterion',
      size(LAYERS).map((n) => ({ method: 'depth', criterion: 'block-influence', count: n, calibration: 'kjv.txt' })),
      // Valid sizes pass the plan (which blocks is decided when the job runs; the file is checked at spawn).
      (r) => (r.count as number) >= 1 && (r.count as number) < LAYERS,
      /recipe\.count|"r\.depth\.count"/,
    ],
    [
      'depth.layers',
      fc
        .record({ n: fc.constantFrom(1, LAYERS - 1, LAYERS, 4096, 4097, 20_000), start: size(LAYERS) })
        .map(({ n, start }) => ({ method: 'depth', layers: Array.from({ length: n }, (_, i) => start + i) })),
      (r) => {
        const l = r.layers as number[];
        return l.length < LAYERS && l.every((i) => i >= 0 && i < LAYERS);
      },
      /recipe\.layers|\$r\.depth\.layers/,
    ],
    [
      'mlp-width.intermediateSize',
      size(INTERMEDIATE).map((n) => ({ method: 'mlp-width', intermediateSize: n })),
      (r) => (r.intermediateSize as number) >= 1 && (r.intermediateSize as number) <= INTERMEDIATE,
      /recipe\.intermediateSize|"r\.mlpWidth\.intermediateSize"/,
    ],
    [
      'sparsity.samples',
      size(262_144).map((n) => ({ method: 'sparsity', criterion: 'wanda', calibration: 'kjv.txt', pattern: '2:4', samples: n })),
      (r) => (r.samples as number) >= 64 && (r.samples as number) <= 262_144,
      /recipe\.samples|"r\.sparsity\.samples"/,
    ],
    [
      'vocab.corpus',
      fc
        .constantFrom(1, 64, 65, 30_000)
        .chain((n) => fc.boolean().map((dup) => ({ n, dup })))
        .map(({ n, dup }) => ({ method: 'vocab', corpus: Array.from({ length: n }, (_, i) => (dup ? 'a.txt' : `c${i}.txt`)) })),
      // Without a corpus count the plan keeps the size; 1 file, or up to 64 distinct ones, are accepted.
      (r) => {
        const c = r.corpus as string[];
        return c.length <= 64 && new Set(c).size === c.length;
      },
      /recipe\.corpus|\$r\.vocab\.corpus/,
    ],
  ];

  it.each(cases)('%s: a plan when it fits the model, else 400 naming the field, within 1 s', async (_label, arb, fits, field) => {
    await fc.assert(
      fc.asyncProperty(arb, async (recipe) => {
        const { value: r, ms } = await timed(api.gql<{ pruningPlan: unknown }>(PLAN, { r: recipeInput(recipe) }, null));
        expect(ms).toBeLessThan(1000);
        if (fits(recipe)) {
          expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
        } else {
          expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
          // Beyond GraphQL's Int, or a list over 4,096 items, the variable itself is named (at "r.depth.last", $r.depth.layers).
          expect(r.errors?.[0]?.message).toMatch(field);
        }
        expect(await healthzMs()).toBeLessThan(200);
      }),
      { seed: SEED, numRuns: 25, endOnFailure: true },
    );
  });
});

describe('registerModel: a derivative’s recorded recipe is bounded', () => {
  const REGISTER =
    'mutation($r: ExternalRecipeInput) { registerModel(path: "/nowhere", name: "x/y", recipe: $r, parents: [{ model: "bible/tiny-llama-kjv", relation: FINETUNED }]) { model { id } } }';

  it.each([
    ['a 900 KB method name', { method: 'a'.repeat(900_000) }, /recipe\.method/],
    ['a method that is not a name', { method: 'fine tune; rm -rf' }, /recipe\.method/],
    ['settings over 16 KiB', { method: 'finetune', settings: { notes: 'x'.repeat(17 * 1024) } }, /recipe\.settings: .*16 KiB/],
    [
      'settings nested 17 deep',
      { method: 'finetune', settings: JSON.parse(`${'{"a":'.repeat(17)}1${'}'.repeat(17)}`) },
      /recipe\.settings/,
    ],
  ])('%s is BAD_USER_INPUT naming the field, and nothing is stored', async (_label, recipe, field) => {
    const r = await api.gql(REGISTER, { r: recipe });
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(field);
    expect(await api.db.prisma.model.count()).toBe(1);
  });

  it('65 parents are BAD_USER_INPUT naming parents', async () => {
    const parents = Array.from({ length: 65 }, () => ({ model: 'bible/tiny-llama-kjv', relation: 'FINETUNED' }));
    const r = await api.gql('mutation($p: [ParentInput!]) { registerModel(path: "/nowhere", name: "x/z", parents: $p) { model { id } } }', {
      p: parents,
    });
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(/^parents: at most 64 parents/);
  });

  it('a short method with small settings passes these checks (and fails later, on the missing folder)', async () => {
    const r = await api.gql(REGISTER, { r: { method: 'lora-r16', settings: { rank: 16, alpha: 32 } } });
    expect(r.errors?.[0]?.message).not.toMatch(/recipe\./);
  });
});

describe('file names in recipes', () => {
  it('a calibration file name over 4,096 characters (PATH_MAX) is BAD_USER_INPUT naming it', async () => {
    const recipe = { method: 'sparsity', criterion: 'wanda', pattern: '2:4', calibration: 'a'.repeat(4097) };
    const r = await api.gql(PLAN, { r: recipeInput(recipe) }, null);
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(/^recipe\.calibration: must be at most 4096 characters/);
  });
});

describe('work a single request may ask for', () => {
  const post = (query: string) =>
    fetch(`${api.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });

  it('cards are costed: 39 in one request are allowed, 40 are over the cost limit before any is rendered', async () => {
    const cards = (n: number) => `{ models(first: ${n}) { nodes { card { markdown } } } }`;
    const ok = await post(cards(39));
    expect(ok.status).toBe(200);
    const over = await post(cards(40));
    expect(over.status).toBe(400);
    const body = (await over.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors[0]!.message).toMatch(/query cost \d+ is over the limit/);
  });

  it('a chain of 2,000 fragments is a 400 naming query, not a stack overflow', async () => {
    const n = 2000;
    const fragments = Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} }`).join(' ');
    const res = await post(`{ ...F0 } ${fragments} fragment F${n} on Query { health { version } }`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0]!.message).toMatch(/^query: defines more than 100 fragments/);
    // A hundred side by side are fine.
    const few = Array.from({ length: 100 }, (_, i) => `fragment F${i} on Query { health { version } }`).join(' ');
    const spreads = Array.from({ length: 100 }, (_, i) => `...F${i}`).join(' ');
    expect((await post(`{ ${spreads} } ${few}`)).status).toBe(200);
  });
});
