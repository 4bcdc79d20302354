// The bounds of the hardware estimate's inputs, in one module that imports nothing, so the API,
// the CLI and the catalog's calculator accept the same values: a context up to 2^20 tokens (the
// longest contexts of published open models are 1 M tokens) and a batch up to 4,096 sequences.

export const HARDWARE_LIMITS = {
  contextLength: [1, 1_048_576],
  batchSize: [1, 4096],
} as const satisfies Record<string, readonly [number, number]>;
