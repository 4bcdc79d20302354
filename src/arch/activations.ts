// Config values transformers would refuse to build a model from, refused when the config is read.
// - Activations: a model looks its activation up in ACT2FN (transformers' activations.py, ACT2CLS)
//   and fails with KeyError ("function … not found in ACT2FN mapping") for any other name.
// - Norm epsilons: LayerNorm and RMSNorm divide by sqrt(variance + eps), so eps ≤ 0 gives
//   infinities or NaN (a constant row has variance 0); every published config has a small positive one.
import { CheckpointError } from '../formats/checkpoint/folder.js';
import type { ConfigReader } from './fields.js';

/** transformers' ACT2CLS keys (activations.py). */
export const ACTIVATIONS: readonly string[] = [
  'gelu',
  'gelu_10',
  'gelu_fast',
  'gelu_new',
  'gelu_python',
  'gelu_pytorch_tanh',
  'gelu_python_tanh',
  'gelu_accurate',
  'hardswish',
  'laplace',
  'leaky_relu',
  'linear',
  'mish',
  'quick_gelu',
  'relu',
  'relu2',
  'relu6',
  'sigmoid',
  'silu',
  'sqrtsoftplus',
  'swish',
  'tanh',
  'prelu',
  'xielu',
];

/** An activation name from the config, one of ACT2FN's. */
export function activation(r: ConfigReader, key: string, fallback: string): string {
  const name = r.str(key, fallback);
  checkActivation(name, key, r.file);
  return name;
}

export function checkActivation(name: string, key: string, file: string): void {
  if (!ACTIVATIONS.includes(name))
    throw new CheckpointError(
      file,
      `${key} ${JSON.stringify(name)} is not an activation transformers knows (ACT2FN: ${ACTIVATIONS.join(', ')})`,
    );
}

/** A norm epsilon: a finite number greater than 0. */
export function epsilon(r: ConfigReader, key: string, fallback: number): number {
  const eps = r.num(key, fallback);
  if (!(eps > 0)) throw new CheckpointError(r.file, `${key} must be greater than 0 (got ${eps})`);
  return eps;
}
