// The registry through HTTP, on a real Postgres: import the shared model, plan and spawn a 40 %
// width variant, read the tree; bad imports leave nothing behind.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipeInput } from '../../src/recipes/fields.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;
let roots: string;

/** Files in the store: whole blobs and the manifests of files stored in pieces. */
function blobCount(): number {
  let n = 0;
  for (const kind of ['blobs', 'manifests']) {
    const base = join(api.registry.store.root, kind);
    if (existsSync(base)) n += readdirSync(base).reduce((k, d) => k + readdirSync(join(base, d)).length, 0);
  }
  return n;
}

const REGISTER = `mutation($path: String!, $name: String!) {
  registerModel(path: $path, name: $name, license: "apache-2.0", tags: ["kjv", "llama"]) {
    model { id name kind status architecture parameterCount byteSize dtype license tags files { path sha256 size } }
  }
}`;

beforeAll(async () => {
  roots = tempDir('bonsai-roots-');
  cpSync(sharedModel, join(roots, 'tiny-llama-kjv'), { recursive: true });
  api = await startTestApi({ modelRoots: [roots] });
});
afterAll(async () => {
  await api.close();
});

describe('registerModel', () => {
  it('imports the shared model with exact figures and the files hashed into the store', async () => {
    const r = await api.gql<{
      registerModel: { model: Record<string, unknown> & { files: Array<{ path: string; sha256: string; size: string }> } };
    }>(REGISTER, { path: join(roots, 'tiny-llama-kjv'), name: 'bible/tiny-llama-kjv' });
    expect(r.errors).toBeUndefined();
    const m = r.data!.registerModel.model;
    // 8,800,704 parameters: the figure the shared model's reference.json (an independent implementation) gives.
    expect(m).toMatchObject({
      name: 'bible/tiny-llama-kjv',
      kind: 'BASE',
      status: 'READY',
      architecture: 'LlamaForCausalLM',
      parameterCount: '8800704',
      dtype: 'BF16',
    });
    expect(m.byteSize).toMatch(/^\d+$/);
    const weights = m.files.find((f) => f.path === 'model.safetensors')!;
    const bytes = readFileSync(join(sharedModel, 'model.safetensors'));
    expect(weights.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(weights.size).toBe(String(bytes.length));
    expect(await api.registry.store.hasBlob(weights.sha256)).toBe(true);
  });

  it('shares unchanged files: a second import of the same folder adds no blob', async () => {
    const before = blobCount();
    const r = await api.gql(REGISTER, { path: join(roots, 'tiny-llama-kjv'), name: 'bible/tiny-llama-kjv-copy' });
    expect(r.errors).toBeUndefined();
    expect(blobCount()).toBe(before);
  });

  it('refuses paths outside the roots, with "..", or through a link that escapes', async () => {
    const outside = await api.gql(REGISTER, { path: sharedModel, name: 'x/outside' });
    expect(outside.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'path' });
    const dots = await api.gql(REGISTER, { path: `${roots}/tiny-llama-kjv/../tiny-llama-kjv`, name: 'x/dots' });
    expect(dots.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    symlinkSync(sharedModel, join(roots, 'escape'));
    const link = await api.gql(REGISTER, { path: join(roots, 'escape'), name: 'x/link' });
    expect(link.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const inner = join(roots, 'inner-link');
    cpSync(join(roots, 'tiny-llama-kjv'), inner, { recursive: true });
    symlinkSync('/etc/passwd', join(inner, 'notes.txt'));
    const file = await api.gql(REGISTER, { path: inner, name: 'x/inner' });
    expect(file.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a broken checkpoint is refused naming the field, and leaves no row and no new blob', async () => {
    const broken = join(roots, 'broken');
    mkdirSync(broken);
    cpSync(join(roots, 'tiny-llama-kjv'), broken, { recursive: true });
    truncateSync(join(broken, 'model.safetensors'), 1000);
    const models = await api.db.prisma.model.count();
    const blobs = blobCount();
    const r = await api.gql(REGISTER, { path: broken, name: 'x/broken' });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'path' });
    expect(await api.db.prisma.model.count()).toBe(models);
    expect(blobCount()).toBe(blobs);
  });

  it('refuses a bad name and a taken one', async () => {
    const bad = await api.gql(REGISTER, { path: join(roots, 'tiny-llama-kjv'), name: 'no-owner' });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    const taken = await api.gql(REGISTER, { path: join(roots, 'tiny-llama-kjv'), name: 'bible/tiny-llama-kjv' });
    expect(taken.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });
});

describe('planning and spawning', () => {
  it('plans 40 % width pruning without queuing anything', async () => {
    const jobs = await api.db.prisma.job.count();
    const r = await api.gql<{
      pruningPlan: {
        changes: Array<{ field: string; from: number; to: number }>;
        parametersBefore: string;
        parametersAfter: string;
        keptNeurons: number;
      };
    }>(
      `query($r: PruningRecipeInput!) { pruningPlan(parent: "bible/tiny-llama-kjv", recipe: $r) { changes { field from to } parametersBefore parametersAfter keptNeurons } }`,
      { r: recipeInput({ method: 'mlp-width', pruningFraction: 0.4 }) },
    );
    expect(r.errors).toBeUndefined();
    // I = 512: k = 512 − floor(0.4 × 512) = 308 (OptiPFair's kept-neuron formula).
    expect(r.data!.pruningPlan.keptNeurons).toBe(308);
    expect(r.data!.pruningPlan.changes).toContainEqual({ field: 'intermediate_size', from: 512, to: 308 });
    expect(r.data!.pruningPlan.parametersBefore).toBe('8800704');
    expect(await api.db.prisma.job.count()).toBe(jobs);
  });

  it('a bad recipe is BAD_USER_INPUT naming the field, and writes nothing', async () => {
    const models = await api.db.prisma.model.count();
    const r = await api.gql(
      `mutation($r: PruningRecipeInput!) { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", recipe: $r) { model { id } } }`,
      {
        r: recipeInput({ method: 'mlp-width', pruningFraction: 1.5 }),
      },
    );
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'recipe.pruningFraction' });
    const layers = await api.gql(
      `mutation($r: PruningRecipeInput!) { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", recipe: $r) { model { id } } }`,
      {
        r: recipeInput({ method: 'depth', layers: [99] }),
      },
    );
    expect(layers.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await api.db.prisma.model.count()).toBe(models);
  });

  it('spawns a 40 % width variant: child QUEUED, edge with the recipe, job queued in pg-boss; the tree shows it', async () => {
    const r = await api.gql<{
      spawnPrunedVariant: {
        model: { id: string; name: string; status: string; parameterCount: string };
        job: { databaseId: string; status: string; kind: string };
        plan: { parametersAfter: string };
      };
    }>(
      `mutation($r: PruningRecipeInput!) { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", recipe: $r) {
         model { id name status parameterCount } job { databaseId status kind } plan { parametersAfter } } }`,
      { r: recipeInput({ method: 'mlp-width', pruningFraction: 0.4 }) },
    );
    expect(r.errors).toBeUndefined();
    const s = r.data!.spawnPrunedVariant;
    expect(s.model).toMatchObject({ name: 'bible/tiny-llama-kjv-width40-maw', status: 'QUEUED' });
    expect(s.model.parameterCount).toBe(s.plan.parametersAfter);
    expect(s.job).toMatchObject({ status: 'QUEUED', kind: 'PRUNE' });
    expect(await api.registry.queue!.entryState(s.job.databaseId)).toBe('created');

    const again = await api.gql<{ spawnPrunedVariant: { model: { name: string } } }>(
      `mutation($r: PruningRecipeInput!) { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", recipe: $r) { model { name } } }`,
      { r: recipeInput({ method: 'mlp-width', pruningFraction: 0.4 }) },
    );
    expect(again.data!.spawnPrunedVariant.model.name).toBe('bible/tiny-llama-kjv-width40-maw-2');

    const tree = await api.gql<{
      modelTree: {
        size: number;
        nodes: Array<{ depth: number; model: { name: string } }>;
        edges: Array<{
          relation: string;
          method: string;
          recipe: { pruningFraction: number };
          parent: { name: string };
          child: { name: string };
        }>;
      };
    }>(
      `{ modelTree(root: "bible/tiny-llama-kjv") { size nodes { depth model { name } } edges { relation method recipe { ... on MlpWidthRecipe { pruningFraction } } parent { name } child { name } } } }`,
    );
    expect(tree.errors).toBeUndefined();
    expect(tree.data!.modelTree.size).toBe(3);
    expect(tree.data!.modelTree.nodes[0]).toEqual({ depth: 0, model: { name: 'bible/tiny-llama-kjv' } });
    const edge = tree.data!.modelTree.edges.find((e) => e.child.name === 'bible/tiny-llama-kjv-width40-maw')!;
    expect(edge).toMatchObject({ relation: 'WIDTH_PRUNED', method: 'mlp-width', parent: { name: 'bible/tiny-llama-kjv' } });
    expect(edge.recipe.pruningFraction).toBe(0.4);

    const child = await api.gql<{
      model: { root: { name: string }; ancestors: Array<{ name: string }>; parents: Array<{ relation: string }> };
    }>(`{ model(name: "bible/tiny-llama-kjv-width40-maw") { root { name } ancestors { name } parents { relation } } }`);
    expect(child.data!.model).toEqual({
      root: { name: 'bible/tiny-llama-kjv' },
      ancestors: [{ name: 'bible/tiny-llama-kjv' }],
      parents: [{ relation: 'WIDTH_PRUNED' }],
    });
  });

  it('node(id) returns what an id names, and deleteModel refuses a parent unless cascading', async () => {
    const m = await api.gql<{ model: { id: string } }>(`{ model(name: "bible/tiny-llama-kjv") { id } }`);
    const n = await api.gql<{ node: { __typename: string; name: string } }>(
      `query($id: ID!) { node(id: $id) { __typename ... on Model { name } } }`,
      {
        id: m.data!.model.id,
      },
    );
    expect(n.data!.node).toEqual({ __typename: 'Model', name: 'bible/tiny-llama-kjv' });
    const refused = await api.gql(`mutation { deleteModel(model: "bible/tiny-llama-kjv") { deletedIds } }`);
    expect(refused.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });
});
