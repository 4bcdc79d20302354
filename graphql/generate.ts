// Writes graphql/schema.graphql and graphql/generated/nexus.ts (run by `npm run generate`).
import { writeSchemaArtifacts } from './schema.js';

await writeSchemaArtifacts();
