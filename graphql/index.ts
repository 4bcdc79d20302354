export * from './types/Health.js';
