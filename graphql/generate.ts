// Writes graphql/schema.graphql and graphql/generated/nexus.ts (run by `npm run generate`).
import { readFileSync, writeFileSync } from 'node:fs';
import { typegenPath, writeSchemaArtifacts } from './schema.js';

await writeSchemaArtifacts();
// Nexus writes extension-less relative imports, which NodeNext module resolution rejects.
const typegen = readFileSync(typegenPath, 'utf8');
writeFileSync(typegenPath, typegen.replace(/from "(\.\.?\/[^"]+?)(?<!\.js)"/g, 'from "$1.js"'));
