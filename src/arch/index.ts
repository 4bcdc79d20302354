export * from './params.js';
export * from './registry.js';
export * from './tensors.js';
export * from './types.js';
