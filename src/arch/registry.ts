import { CheckpointError } from '../formats/checkpoint/folder.js';
import { alignEncoder, bert, xlmRoberta } from './encoder.js';
import { gemma, gemma2, gemma3 } from './gemma.js';
import { llama } from './llama.js';
import { mistral } from './mistral.js';
import { qwen2, qwen3 } from './qwen.js';
import { alignT5, mt5, t5 } from './t5.js';
import type { ArchAdapter, ArchConfig } from './types.js';

export const ADAPTERS: readonly ArchAdapter[] = [llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3, bert, xlmRoberta, t5, mt5];

export const SUPPORTED_MODEL_TYPES: readonly string[] = ADAPTERS.flatMap((a) => a.modelTypes);

export class UnsupportedArchitectureError extends CheckpointError {
  constructor(file: string, modelType: unknown, architectures: unknown) {
    super(
      file,
      `unsupported architecture ${JSON.stringify(architectures ?? null)} (model_type ${JSON.stringify(modelType ?? null)}); ` +
        `supported model_type values: ${SUPPORTED_MODEL_TYPES.join(', ')}`,
      'UNSUPPORTED_ARCHITECTURE',
    );
  }
}

export function adapterFor(config: Record<string, unknown>, file: string): ArchAdapter {
  const adapter = ADAPTERS.find((a) => a.modelTypes.includes(config.model_type as string));
  if (!adapter) throw new UnsupportedArchitectureError(file, config.model_type, config.architectures);
  return adapter;
}

export function parseArchitecture(config: Record<string, unknown>, file: string): ArchConfig {
  return adapterFor(config, file).parse(config, file);
}

/**
 * The configuration as the files have it: tensors of a multimodal Gemma-3 may sit under
 * `model.language_model.` (newer transformers); an encoder's prefix and optional heads, and T5's
 * stored embedding copies, follow the tensors present.
 */
export function alignPrefix(cfg: ArchConfig, tensorNames: readonly string[]): ArchConfig {
  if (cfg.kind === 'encoder') return alignEncoder(cfg, tensorNames);
  if (cfg.kind === 'encoder-decoder') return alignT5(cfg, tensorNames);
  const names = new Set(tensorNames);
  if (names.has(`${cfg.prefix}embed_tokens.weight`)) return cfg;
  if (cfg.prefix === 'language_model.model.' && names.has('model.language_model.embed_tokens.weight')) {
    return { ...cfg, prefix: 'model.language_model.', lmHeadName: 'lm_head.weight' };
  }
  return cfg;
}
