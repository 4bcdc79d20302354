// The recipe and evaluation inputs are typed: introspection shows every method, field, default and
// description (the seeds' four methods and their documented fields are stated here, not read from
// the code); exactly one method per recipe; recorded recipes come back as the Recipe union.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdlPath } from '../../graphql/schema.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ modelRoots: [dirname(sharedModel)] });
  await api.register(sharedModel, 'bible/kjv');
});
afterAll(async () => {
  await api?.close();
});

type InputValue = {
  name: string;
  description: string | null;
  defaultValue: string | null;
  type: { name: string | null; kind: string; ofType: { name: string | null } | null };
};
const INTROSPECT = `query($n: String!) { __type(name: $n) { name isOneOf description inputFields { name description defaultValue type { name kind ofType { name } } } } }`;

async function inputType(name: string) {
  const r = await api.gql<{ __type: { isOneOf: boolean; description: string; inputFields: InputValue[] } }>(INTROSPECT, { n: name });
  expect(r.errors).toBeUndefined();
  return r.data!.__type;
}

describe('typed recipe input', () => {
  it('is a oneOf input with one member per method, each with its fields, defaults and descriptions', async () => {
    const recipe = await inputType('PruningRecipeInput');
    expect(recipe.isOneOf).toBe(true);
    expect(recipe.inputFields.map((f) => f.name).sort()).toEqual(['attention', 'depth', 'hidden', 'mlpWidth', 'sparsity', 'vocab']);
    const expected: Record<string, string[]> = {
      MlpWidthRecipeInput: [
        'calibration',
        'criterion',
        'dampening',
        'expansionRate',
        'intermediateSize',
        'pruningFraction',
        'reconstruct',
        'roundTo',
        'samples',
      ],
      DepthRecipeInput: ['calibration', 'count', 'criterion', 'dampening', 'last', 'layers', 'reconstruct', 'samples'],
      SparsityRecipeInput: [
        'allocation',
        'calibration',
        'criterion',
        'dampening',
        'owlLambda',
        'owlM',
        'pattern',
        'samples',
        'scope',
        'sparsity',
      ],
      VocabRecipeInput: ['corpus', 'minFrequency', 'roundTo', 'unit', 'vocabSize'],
      AttentionRecipeInput: [
        'calibration',
        'criterion',
        'dampening',
        'numAttentionHeads',
        'numKeyValueHeads',
        'pruningFraction',
        'reconstruct',
        'samples',
        'unit',
      ],
      HiddenRecipeInput: ['calibration', 'criterion', 'hiddenSize', 'pruningFraction', 'samples'],
    };
    for (const [type, fields] of Object.entries(expected)) {
      const t = await inputType(type);
      expect(t.inputFields.map((f) => f.name).sort()).toEqual(fields);
      for (const f of t.inputFields) expect(f.description?.length, `${type}.${f.name}`).toBeGreaterThan(10);
      expect(t.description).toMatch(/^method [a-z-]+: /);
    }
    const width = await inputType('MlpWidthRecipeInput');
    expect(width.inputFields.find((f) => f.name === 'criterion')).toMatchObject({ defaultValue: '"maw"' });
    expect(width.inputFields.find((f) => f.name === 'pruningFraction')).toMatchObject({ type: { name: 'Float' } });
    expect(width.inputFields.find((f) => f.name === 'pruningFraction')?.description).toMatch(/in \[0, 1\)/);
    const vocab = await inputType('VocabRecipeInput');
    expect(vocab.inputFields.find((f) => f.name === 'corpus')?.type).toMatchObject({ kind: 'NON_NULL' });
    const attention = await inputType('AttentionRecipeInput');
    expect(attention.inputFields.find((f) => f.name === 'unit')).toMatchObject({ defaultValue: '"query-group"' });
    const task = await inputType('EvaluationTaskInput');
    expect(task.inputFields.map((f) => f.name).sort()).toEqual(['contextLength', 'data', 'limit', 'stride', 'task']);
  });

  it('leaves no recipe as JSON in the SDL', () => {
    const sdl = readFileSync(sdlPath, 'utf8');
    expect(sdl).not.toMatch(/recipe: JSON/);
    expect(sdl).toMatch(/input PruningRecipeInput @oneOf \{/);
  });

  it('refuses two methods at once, before anything runs', async () => {
    const r = await api.gql(
      '{ pruningPlan(parent: "bible/kjv", recipe: { depth: { last: 1 }, mlpWidth: { pruningFraction: 0.5 } }) { parametersAfter } }',
    );
    expect(r.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.errors?.[0]?.message).toMatch(/must specify exactly one key/);
  });

  it('plans from the typed input and returns the recipe with its defaults as MlpWidthRecipe', async () => {
    const r = await api.gql<{
      pruningPlan: { parametersAfter: string; recipe: { __typename: string; method: string; criterion: string; pruningFraction: number } };
    }>(
      '{ pruningPlan(parent: "bible/kjv", recipe: { mlpWidth: { pruningFraction: 0.4 } }) { parametersAfter recipe { __typename ... on MlpWidthRecipe { method criterion pruningFraction } } } }',
    );
    expect(r.errors).toBeUndefined();
    // 8,800,704 − 6 layers × 3 matrices × 192 × 204 removed neurons = 8,095,680 (k = 512 − floor(0.4 · 512) = 308).
    expect(r.data!.pruningPlan.parametersAfter).toBe('8095680');
    expect(r.data!.pruningPlan.recipe).toEqual({
      __typename: 'MlpWidthRecipe',
      method: 'mlp-width',
      criterion: 'maw',
      pruningFraction: 0.4,
    });
  });

  it('names the field of a bad value inside the typed input', async () => {
    const r = await api.gql('{ pruningPlan(parent: "bible/kjv", recipe: { sparsity: { pattern: "5:4" } }) { parametersAfter } }');
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'recipe.pattern' });
    expect(r.errors?.[0]?.message).toMatch(/N:M needs 1 ≤ N < M \(got 5:4\)/);
  });

  it('plans attention head pruning from its typed input (AttentionRecipe with its defaults), and refuses query-head on a model without grouped queries naming recipe.unit', async () => {
    const r = await api.gql<{ pruningPlan: { parametersAfter: string; recipe: Record<string, unknown> } }>(
      '{ pruningPlan(parent: "bible/kjv", recipe: { attention: { pruningFraction: 0.5 } }) { parametersAfter recipe { __typename ... on AttentionRecipe { method unit criterion pruningFraction } } } }',
    );
    expect(r.errors).toBeUndefined();
    // 8,800,704 − 6 layers × 4 matrices (q, k, v rows; o columns) × 3 heads × 32 × 192 = 8,358,336.
    expect(r.data!.pruningPlan.parametersAfter).toBe('8358336');
    expect(r.data!.pruningPlan.recipe).toEqual({
      __typename: 'AttentionRecipe',
      method: 'attention',
      unit: 'query-group',
      criterion: 'magnitude',
      pruningFraction: 0.5,
    });
    const bad = await api.gql(
      '{ pruningPlan(parent: "bible/kjv", recipe: { attention: { unit: "query-head", pruningFraction: 0.5 } }) { parametersAfter } }',
    );
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'recipe.unit' });
  });

  it('plans hidden-channel pruning from its typed input (HiddenRecipe with its defaults), and names recipe.hiddenSize when it exceeds hidden_size', async () => {
    const r = await api.gql<{ pruningPlan: { parametersAfter: string; recipe: Record<string, unknown> } }>(
      '{ pruningPlan(parent: "bible/kjv", recipe: { hidden: { pruningFraction: 0.2 } }) { parametersAfter recipe { __typename ... on HiddenRecipe { method criterion pruningFraction } } } }',
    );
    expect(r.errors).toBeUndefined();
    // hidden 192 → 154 (floor(0.2 · 192) = 38 go): 32,000 × 154 (tied embedding) + 6 × (4 × 192 + 3 × 512 + 2) × 154 + 154 = 7,058,898.
    expect(r.data!.pruningPlan.parametersAfter).toBe('7058898');
    expect(r.data!.pruningPlan.recipe).toEqual({
      __typename: 'HiddenRecipe',
      method: 'hidden',
      criterion: 'magnitude',
      pruningFraction: 0.2,
    });
    const bad = await api.gql('{ pruningPlan(parent: "bible/kjv", recipe: { hidden: { hiddenSize: 193 } }) { parametersAfter } }');
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'recipe.hiddenSize' });
  });

  it('records a derivative made elsewhere as an ExternalRecipe', async () => {
    const r = await api.gql(
      'mutation($p: String!) { registerModel(path: $p, name: "acme/kjv-ft", parents: [{ model: "bible/kjv", relation: FINETUNED }], recipe: { method: "finetune", settings: { epochs: 3 } }) { model { id } } }',
      { p: sharedModel },
    );
    expect(r.errors).toBeUndefined();
    const edge = await api.gql<{ model: { parents: Array<{ recipe: { __typename: string; method: string; settings: unknown } }> } }>(
      '{ model(name: "acme/kjv-ft") { parents { recipe { __typename ... on ExternalRecipe { method settings } } } } }',
    );
    expect(edge.data!.model.parents[0]!.recipe).toEqual({ __typename: 'ExternalRecipe', method: 'finetune', settings: { epochs: 3 } });
  });
});
