// The seed recipes the demo spawns on the shared model: one child of every method (width, depth,
// sparsity with and without OWL, attention heads, hidden channels, vocabulary), and the
// training-free recoveries beside what they recover (SparseGPT, the least-squares refit of width
// pruning, the linear stand-in of depth pruning), each as a user would submit it through the API. `parent` names another seed (or the base), so the tree
// grows past two generations.

export interface DemoSeed {
  /** The child's name under the demo's owner. */
  name: string;
  /** `base`, or the `name` of an earlier seed. */
  parent: string;
  recipe: Record<string, unknown>;
  /** One line for the table. */
  label: string;
}

export const DEMO_OWNER = 'bible';
export const DEMO_BASE = 'tiny-llama-kjv';

/** `calibration` is the kjv-train.txt copy inside the model roots (also the trimming corpus); `samples` the calibration tokens. */
export function demoSeeds(calibration: string, samples: number): DemoSeed[] {
  return [
    {
      name: `${DEMO_BASE}-width40-maw`,
      parent: 'base',
      recipe: { method: 'mlp-width', criterion: 'maw', pruningFraction: 0.4 },
      label: 'MLP width 40 % (MAW)',
    },
    {
      name: `${DEMO_BASE}-depth2-ppl`,
      parent: 'base',
      recipe: { method: 'depth', criterion: 'perplexity', count: 2, calibration, samples },
      label: 'depth, 2 blocks by perplexity',
    },
    {
      name: `${DEMO_BASE}-depth2-bi`,
      parent: 'base',
      recipe: { method: 'depth', criterion: 'block-influence', count: 2, calibration, samples },
      label: 'depth, 2 blocks by block influence',
    },
    {
      name: `${DEMO_BASE}-wanda50`,
      parent: 'base',
      recipe: { method: 'sparsity', criterion: 'wanda', sparsity: 0.5, calibration, samples },
      label: 'Wanda 50 % unstructured',
    },
    {
      name: `${DEMO_BASE}-wanda-2of4`,
      parent: 'base',
      recipe: { method: 'sparsity', criterion: 'wanda', pattern: '2:4', calibration, samples },
      label: 'Wanda 2:4',
    },
    {
      name: `${DEMO_BASE}-sparsegpt-2of4`,
      parent: 'base',
      recipe: { method: 'sparsity', criterion: 'sparsegpt', pattern: '2:4', calibration, samples },
      label: 'SparseGPT 2:4',
    },
    {
      name: `${DEMO_BASE}-width40-maw-ls`,
      parent: 'base',
      recipe: { method: 'mlp-width', criterion: 'maw', pruningFraction: 0.4, reconstruct: 'least-squares', calibration, samples },
      label: 'MLP width 40 % (MAW) + least-squares refit',
    },
    {
      name: `${DEMO_BASE}-depth2-bi-linear`,
      parent: 'base',
      recipe: { method: 'depth', criterion: 'block-influence', count: 2, reconstruct: 'linear', calibration, samples },
      label: 'depth, 2 blocks by block influence + linear stand-in',
    },
    {
      name: `${DEMO_BASE}-heads50-activation`,
      parent: 'base',
      recipe: { method: 'attention', unit: 'query-group', criterion: 'activation', pruningFraction: 0.5, calibration, samples },
      label: 'attention, half the heads by activation (Minitron)',
    },
    {
      name: `${DEMO_BASE}-hidden20-magnitude`,
      parent: 'base',
      recipe: { method: 'hidden', criterion: 'magnitude', pruningFraction: 0.2 },
      label: 'hidden channels, 20 % by magnitude (Minitron’s embedding axis)',
    },
    {
      name: `${DEMO_BASE}-wanda50-owl`,
      parent: 'base',
      recipe: { method: 'sparsity', criterion: 'wanda', sparsity: 0.5, allocation: 'owl', calibration, samples },
      label: 'Wanda 50 % with OWL’s layerwise sparsity',
    },
    {
      name: `${DEMO_BASE}-vocab-kjv`,
      parent: 'base',
      recipe: { method: 'vocab', corpus: [calibration], unit: 'line' },
      label: 'vocabulary trimmed to kjv-train',
    },
    {
      name: `${DEMO_BASE}-width40-maw-vocab-kjv`,
      parent: `${DEMO_BASE}-width40-maw`,
      recipe: { method: 'vocab', corpus: [calibration], unit: 'line' },
      label: 'width 40 %, then vocabulary trimmed',
    },
  ];
}
