export * from './dtypes.js';
export * from './errors.js';
export { MAX_HEADER_BYTES, parseHeader, topLevelKeys } from './header.js';
export * from './reader.js';
export * from './writer.js';
