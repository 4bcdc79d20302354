export * from './hardware.js';
export * from './input.js';
export * from './render.js';
