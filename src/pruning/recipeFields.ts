// Moved to src/recipes/fields.ts (browser-safe, issue 29); kept until the catalog imports it from there.
export * from '../recipes/fields.js';
