export * from './folder.js';
export * from './tensors.js';
export * from './writeTensors.js';
