// No server path reaches an anonymous reader (issue 26, item 6). After spawning with a calibration
// file, a vocabulary corpus and an evaluation data file (each named by its absolute path, as a
// client on the server's machine would), every field of every query is crawled as an anonymous
// reader — selections generated from the schema itself, so a field added later is crawled too —
// and every model route is fetched; no answer may contain an import root, the server's home, its
// artifact store or the repository's folder, as given or with links resolved.
import { cpSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  getNamedType,
  isAbstractType,
  isLeafType,
  isNonNullType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../../graphql/schema.js';
import { recipeInput } from '../../src/recipes/fields.js';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { repoRoot } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

let api: TestApi;
let root: string;
const schema = buildSchema();

beforeAll(async () => {
  root = tempDir('bonsai-secret-root-');
  cpSync(sharedModel, join(root, 'tiny-llama-kjv'), { recursive: true });
  mkdirSync(join(root, 'data'));
  // The first 200 lines of each (~6,000 tokens, over the 128 calibration samples): what is checked
  // is where the paths of these files go, which does not depend on their length; the whole files
  // made the trim and the two perplexity evaluations most of this file's time.
  for (const f of ['kjv-val.txt', 'fortunes-de.txt'])
    writeFileSync(
      join(root, 'data', f),
      `${readFileSync(join(sharedDir, 'data', f), 'utf8')
        .split('\n')
        .slice(0, 200)
        .join('\n')}\n`,
    );
  api = await startTestApi({ modelRoots: [root] });
  await api.startRunner([root]);
  await api.register(join(root, 'tiny-llama-kjv'), 'bible/tiny-llama-kjv');
  const data = (f: string) => join(root, 'data', f);
  const spawns = [
    { method: 'sparsity', criterion: 'wanda', pattern: '2:4', calibration: data('kjv-val.txt'), samples: 128 },
    { method: 'vocab', corpus: [data('fortunes-de.txt'), data('kjv-val.txt')] },
  ];
  const names: string[] = [];
  for (const recipe of spawns) {
    const r = await api.gql<{ spawnPrunedVariant: { model: { name: string } } }>(
      'mutation($r: PruningRecipeInput!, $e: [EvaluationTaskInput!]) { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", recipe: $r, evaluate: $e) { model { name } } }',
      { r: recipeInput(recipe), e: [{ task: 'perplexity', data: data('kjv-val.txt'), contextLength: 64 }] },
    );
    expect(r.errors).toBeUndefined();
    names.push(r.data!.spawnPrunedVariant.model.name);
  }
  for (const name of names)
    await waitFor(
      `${name} READY`,
      async () => {
        const r = await api.gql<{ model: { status: string } }>('query($n: String!) { model(name: $n) { status } }', { n: name });
        if (r.data?.model.status === 'FAILED') throw new Error(`${name} failed`);
        return r.data?.model.status === 'READY' ? true : undefined;
      },
      120_000,
    );
}, 240_000);
afterAll(async () => {
  await api?.close();
});

/** Every server path a response must not show, as given and with links resolved. */
function secrets(): string[] {
  const paths = [root, api.home, api.registry.store.root, repoRoot];
  return [...new Set(paths.flatMap((p) => [p, realpathSync(p)]))];
}

function expectNoServerPath(where: string, text: string): void {
  for (const s of secrets()) expect(text.includes(s), `${where} shows the server path ${s}: ${text.slice(0, 400)}`).toBe(false);
}

/**
 * A selection of every field of `type` that takes no required argument, `depth` levels deep; a
 * type already on the path is not entered again (the tree would be infinite).
 */
function selection(
  type: GraphQLNamedType,
  depth: number,
  path: ReadonlySet<string> = new Set(),
  aliased: (field: string) => string = (f) => f,
): string {
  if (isLeafType(type)) return '';
  if (depth === 0 || path.has(type.name)) return '{ __typename }';
  const inner = new Set([...path, type.name]);
  if (isAbstractType(type)) {
    // Two members may have fields of one name and different types: those are aliased by type
    // (only those: the alias limit is 20).
    const members = schema.getPossibleTypes(type);
    const typesOf = new Map<string, Set<string>>();
    for (const t of members)
      for (const f of Object.values(t.getFields())) typesOf.set(f.name, (typesOf.get(f.name) ?? new Set()).add(String(f.type)));
    const fragments = members.map(
      (t) => `... on ${t.name} ${selection(t, depth, path, (f) => ((typesOf.get(f)?.size ?? 0) > 1 ? `${t.name}_${f}: ${f}` : f))}`,
    );
    return `{ __typename ${fragments.join(' ')} }`;
  }
  const fields = Object.values((type as GraphQLObjectType).getFields()).filter(
    (f: GraphQLField<unknown, unknown>) =>
      !f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined) &&
      // A card costs 500 of the 20,000 a request may cost, the tensor list 200 and the author's card
      // 100: each model's own are crawled at its top level (every model gets its own query), not
      // again for every relative.
      !(PRICED_PER_MODEL.has(f.name) && path.size > 0),
  );
  return `{ __typename ${fields.map((f) => `${aliased(f.name)} ${selection(getNamedType(f.type), depth - 1, inner)}`).join(' ')} }`;
}

/** Model fields priced far above a plain field (graphql/types/Card.ts, Tensor.ts, AuthorCard.ts). */
const PRICED_PER_MODEL = new Set(['card', 'tensors', 'authorCard']);

async function anonymous(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${api.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, text: await res.text() };
}

describe('an anonymous reader sees no server path', () => {
  it('in any field of any model, its lineage, jobs, card and plan, crawled from the schema', async () => {
    const query = schema.getQueryType()!;
    const type = (field: string) => getNamedType(query.getFields()[field]!.type);
    const models = JSON.parse((await anonymous('{ models(first: 50) { nodes { id name } } }')).text) as {
      data: { models: { nodes: Array<{ id: string; name: string }> } };
    };
    expect(models.data.models.nodes).toHaveLength(3);
    let crawled = '';
    for (const m of models.data.models.nodes) {
      for (const [q, vars] of [
        [`query($n: String) { model(name: $n) ${selection(type('model'), 4)} }`, { n: m.name }],
        [`query($id: ID!) { node(id: $id) ${selection(type('node'), 3)} }`, { id: m.id }],
        [`query($r: String!) { modelTree(root: $r) ${selection(type('modelTree'), 4)} }`, { r: m.name }],
      ] as const) {
        const r = await anonymous(q, vars);
        expect(r.status, r.text.slice(0, 400)).toBe(200);
        expect(JSON.parse(r.text).errors, r.text.slice(0, 400)).toBeUndefined();
        expectNoServerPath(q.slice(0, 40), r.text);
        crawled += r.text;
      }
    }
    for (const field of ['models', 'jobs', 'health', 'viewer'] as const) {
      const r = await anonymous(`{ ${field} ${selection(type(field), 4)} }`);
      expect(r.status, r.text.slice(0, 400)).toBe(200);
      expectNoServerPath(field, r.text);
      crawled += r.text.length;
    }
    // The plan of a calibrated recipe echoes what the caller sent, so it is sent by a relative name.
    const plan = await anonymous(
      `query($r: PruningRecipeInput!) { pruningPlan(parent: "bible/tiny-llama-kjv", recipe: $r) ${selection(type('pruningPlan'), 4)} }`,
      { r: recipeInput({ method: 'sparsity', criterion: 'sparsegpt', pattern: '2:4', calibration: 'data/kjv-val.txt' }) },
    );
    expect(JSON.parse(plan.text).errors).toBeUndefined();
    expectNoServerPath('pruningPlan', plan.text);
    // The crawl read the recipes and the cards: the data files are there, by their names under the root.
    expect(crawled).toContain('"calibration":"data/kjv-val.txt"');
    expect(crawled).toContain('"corpus":["data/fortunes-de.txt","data/kjv-val.txt"]');
    expect(crawled).toContain('--calibration data/kjv-val.txt');
    expect(crawled.length).toBeGreaterThan(10_000);
  });

  it('in any file of any model served over HTTP, the card (README.md) included', async () => {
    const r = await anonymous('{ models(first: 50) { nodes { name files { path } } } }');
    const nodes = (JSON.parse(r.text) as { data: { models: { nodes: Array<{ name: string; files: Array<{ path: string }> }> } } }).data
      .models.nodes;
    let fetched = 0;
    for (const m of nodes) {
      const urls = [`/models/${m.name}/README.md`, ...m.files.map((f) => `/models/${m.name}/resolve/${f.path}`)];
      for (const url of urls) {
        const res = await fetch(`${api.server.url}${url}`);
        expect(res.status, url).toBe(200);
        // Weights are binary; their safetensors header (JSON) is where a path could hide.
        const bytes = Buffer.from(await res.arrayBuffer());
        expectNoServerPath(url, bytes.toString('latin1'));
        fetched++;
      }
    }
    expect(fetched).toBeGreaterThan(15);
  });
});
