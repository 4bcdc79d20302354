// The recipes room (DESIGN.md: browser-safe, imports nothing of ours but the config bounds): every
// method's schema with its defaults and data-file marks, the schemas as field lists, and the
// conversion of flag or form strings into a recipe. The CLI, GraphQL, cards and the catalog use it.
export * from './dataFiles.js';
export * from './fields.js';
export * from './schema.js';
