// makeSchema in one place. `npm run generate` writes the SDL (graphql/schema.graphql, committed
// and checked by a test) and the TypeScript typings that resolvers are checked against.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { core, makeSchema } from 'nexus';
import * as types from './index.js';
import { oneOfPlugin } from './types/Recipe.js';

const here = fileURLToPath(new URL('.', import.meta.url));

export const sdlPath = join(here, 'schema.graphql');
export const typegenPath = join(here, 'generated', 'nexus.ts');

function config(generate: boolean, outputs = { schema: sdlPath, typegen: typegenPath }): Parameters<typeof makeSchema>[0] {
  return {
    types,
    plugins: [oneOfPlugin],
    outputs: generate ? outputs : false,
    shouldGenerateArtifacts: generate,
    contextType: { module: join(here, 'context.ts'), export: 'Context' },
    nonNullDefaults: { output: false, input: false },
  };
}

export function buildSchema() {
  return makeSchema(config(false));
}

/** Builds the schema and writes the SDL and typings (to other paths for the staleness test). */
export async function writeSchemaArtifacts(outputs = { schema: sdlPath, typegen: typegenPath }) {
  await core.generateSchema(config(true, outputs));
  // Nexus writes extension-less relative imports, which NodeNext module resolution rejects.
  const typegen = readFileSync(outputs.typegen, 'utf8');
  writeFileSync(outputs.typegen, typegen.replace(/from "(\.\.?\/[^"]+?)(?<!\.js)"/g, 'from "$1.js"'));
}
