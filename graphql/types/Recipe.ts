// The pruning recipe and the evaluation task as GraphQL types, generated from their zod schemas
// (src/pruning/recipe.ts, src/registry/payloads.ts through src/schemaFields.ts), so introspection
// shows every method, field, default and description, and a field added to a schema appears here
// without an edit. Input: `PruningRecipeInput @oneOf { mlpWidth | depth | sparsity | vocab }` (the
// GraphQL oneOf input objects of graphql-js 16.9+; Nexus does not know the flag, so oneOfPlugin
// sets it on the built schema). Output: the union `Recipe` of one object type per method, plus
// `ExternalRecipe` for derivatives made elsewhere.

import {
  GraphQLFloat,
  type GraphQLInputFieldConfigMap,
  GraphQLInputObjectType,
  type GraphQLInputType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLString,
  isInputObjectType,
} from 'graphql';
import { inputObjectType, objectType, plugin, unionType } from 'nexus';
import { BadInputError } from '../../src/errors.js';
import { parseRecipe, type Recipe } from '../../src/pruning/recipe.js';
import { boundsText, inputMember, RECIPE_METHODS } from '../../src/recipes/fields.js';
import { describeObject, type SchemaField } from '../../src/recipes/schemaFields.js';
import { checkExternalRecipe } from '../../src/registry/externalRecipe.js';
import { evaluationRequest } from '../../src/registry/payloads.js';

const typeStem = (method: string) => inputMember(method).replace(/^\w/, (c) => c.toUpperCase());

function scalarOf(f: SchemaField): GraphQLInputType & GraphQLOutputType {
  switch (f.kind) {
    case 'integer':
      return GraphQLInt;
    case 'number':
      return GraphQLFloat;
    case 'choice':
      return f.choices?.every((c) => typeof c === 'number') ? GraphQLInt : GraphQLString;
    case 'integerList':
      return new GraphQLList(new GraphQLNonNull(GraphQLInt));
    case 'numberList':
      return new GraphQLList(new GraphQLNonNull(GraphQLFloat));
    case 'stringList':
      return new GraphQLList(new GraphQLNonNull(GraphQLString));
    default:
      return GraphQLString;
  }
}

function describe(f: SchemaField): string {
  const bounds = boundsText({ ...f, default: undefined });
  return bounds ? `${f.description} (${bounds})` : f.description;
}

function inputFields(fields: readonly SchemaField[]): GraphQLInputFieldConfigMap {
  return Object.fromEntries(
    fields
      .filter((f) => !f.output)
      .map((f) => [
        f.name,
        {
          type: f.required ? new GraphQLNonNull(scalarOf(f)) : scalarOf(f),
          description: describe(f),
          ...(f.default !== undefined ? { defaultValue: f.default } : {}),
        },
      ]),
  );
}

const methodInputs = RECIPE_METHODS.map(
  (m) =>
    new GraphQLInputObjectType({
      name: `${typeStem(m.method)}RecipeInput`,
      description: `method ${m.method}: ${m.description}`,
      fields: inputFields(m.fields),
    }),
);

export const PruningRecipeInput = new GraphQLInputObjectType({
  name: 'PruningRecipeInput',
  description: `A pruning recipe: exactly one member, named after its method (${RECIPE_METHODS.map((m) => `${inputMember(m.method)} = ${m.method}`).join(', ')}).`,
  isOneOf: true,
  fields: Object.fromEntries(RECIPE_METHODS.map((m, i) => [inputMember(m.method), { type: methodInputs[i]!, description: m.description }])),
});

/** An input object without the fields given as null: the schemas mean "absent" by that. */
export function withoutNulls<T extends object>(input: T): T {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null)) as T;
}

/** The recipe object the core validates, from the oneOf input: `{ mlpWidth: {…} }` → `{ method: 'mlp-width', … }`. */
export function recipeFromInput(input: unknown, field = 'recipe'): Recipe {
  const entries = Object.entries((input ?? {}) as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined);
  if (entries.length !== 1) throw new BadInputError(field, 'give exactly one method');
  const [key, values] = entries[0]!;
  const spec = RECIPE_METHODS.find((m) => inputMember(m.method) === key);
  if (!spec) throw new BadInputError(field, `unknown method ${key}`);
  const fields = withoutNulls(values as Record<string, unknown>);
  // Fields are named recipe.<field> as in the core's own messages (data paths, plan bounds).
  return parseRecipe({ method: spec.method, ...fields }, field);
}

const methodOutputs = RECIPE_METHODS.map(
  (m) =>
    new GraphQLObjectType({
      name: `${typeStem(m.method)}Recipe`,
      description: `method ${m.method}: ${m.description}`,
      fields: {
        method: { type: new GraphQLNonNull(GraphQLString), description: `Always "${m.method}".` },
        ...Object.fromEntries(m.fields.map((f) => [f.name, { type: scalarOf(f), description: describe(f) }])),
      },
    }),
);

export const ExternalRecipe = objectType({
  name: 'ExternalRecipe',
  description: 'How a derivative made outside Bonsai was made, as its registrant described it.',
  definition(t) {
    t.nonNull.string('method', {
      description: 'e.g. finetune, gptq, merge; external when not given.',
      resolve: (r) => String((r as Record<string, unknown>).method ?? 'external'),
    });
    t.json('settings', {
      description: 'Everything else the registrant recorded.',
      resolve: (r) => {
        const { method: _m, ...rest } = r as Record<string, unknown>;
        return rest;
      },
    });
  },
});

export const RecipeUnion = unionType({
  name: 'Recipe',
  description: 'A recipe as recorded: one type per pruning method, or ExternalRecipe.',
  definition(t) {
    t.members(...(methodOutputs.map((o) => o.name) as ['MlpWidthRecipe']), 'ExternalRecipe');
  },
  resolveType: (r) => {
    const i = RECIPE_METHODS.findIndex((m) => m.method === (r as { method?: unknown }).method);
    return (i >= 0 ? methodOutputs[i]!.name : 'ExternalRecipe') as 'ExternalRecipe';
  },
});

export const ExternalRecipeInput = inputObjectType({
  name: 'ExternalRecipeInput',
  description: 'How a derivative made elsewhere was made (stored on its lineage edges).',
  definition(t) {
    t.nonNull.string('method', { description: 'e.g. finetune, gptq, awq, merge.' });
    t.json('settings', { description: 'Anything else worth recording (a JSON object).' });
  },
});

/** The external recipe's checks live with registration (src/registry/externalRecipe.ts). */
export const externalRecipeFromInput = checkExternalRecipe;

const evaluationFields = describeObject(evaluationRequest).fields;
export const EvaluationTaskInput = new GraphQLInputObjectType({
  name: 'EvaluationTaskInput',
  description: 'One evaluation to run.',
  fields: inputFields(evaluationFields),
});

/** Sets graphql-js's oneOf flag on the built schema (Nexus rebuilds input types without it). */
export const oneOfPlugin = plugin({
  name: 'oneOf',
  onAfterBuild(schema) {
    const t = schema.getType(PruningRecipeInput.name);
    if (isInputObjectType(t)) (t as { isOneOf: boolean }).isOneOf = true;
  },
});

export const generatedRecipeTypes = [PruningRecipeInput, EvaluationTaskInput, ...methodOutputs];
