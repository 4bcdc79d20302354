// Bounds on what a config.json may state, in a module that imports nothing, so the recipe schema
// (bundled by the catalog too) bounds its size-like fields by the same numbers before anything
// proportional to them is allocated.

/**
 * The largest width, vocabulary or context a config may state: 2^24, far above any published model
 * (Gemma-3's 262,144-token vocabulary and 128k contexts are the largest in use), and small enough
 * that products of two of them stay exact in a double.
 */
export const MAX_DIMENSION = 2 ** 24;
/** The most layers a config may state: Llama-3.1-405B has 126. */
export const MAX_LAYERS = 4096;
