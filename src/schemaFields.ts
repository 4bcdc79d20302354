// Moved to src/recipes/schemaFields.ts (issue 29); kept until graphql/ imports it from there.
export * from './recipes/schemaFields.js';
