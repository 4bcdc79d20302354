export * from './dtypes.js';
export * from './errors.js';
export { findDuplicateKey, MAX_HEADER_BYTES, parseHeader } from './header.js';
export * from './reader.js';
export * from './writer.js';
