// makeSchema in one place. `npm run generate` writes the SDL (graphql/schema.graphql, committed
// and checked by a test) and the TypeScript typings that resolvers are checked against.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { core, makeSchema } from 'nexus';
import * as types from './index.js';

const here = fileURLToPath(new URL('.', import.meta.url));

export const sdlPath = join(here, 'schema.graphql');
export const typegenPath = join(here, 'generated', 'nexus.ts');

function config(generate: boolean): Parameters<typeof makeSchema>[0] {
  return {
    types,
    outputs: generate ? { schema: sdlPath, typegen: typegenPath } : false,
    shouldGenerateArtifacts: generate,
    contextType: { module: join(here, 'context.ts'), export: 'Context' },
    nonNullDefaults: { output: false, input: false },
  };
}

export function buildSchema() {
  return makeSchema(config(false));
}

/** Builds the schema and waits until the SDL and typings are written. */
export function writeSchemaArtifacts() {
  return core.generateSchema(config(true));
}
