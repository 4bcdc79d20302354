// How a derivative made outside Bonsai was made (fine-tuned, quantized, merged…), as its
// registrant describes it: a method name and free settings, stored on every lineage edge and shown
// on the card. Bounded like every other input before it is stored: a method is a short name, the
// settings a small JSON object (a recipe, not a file), nested no deeper than the JSON policy allows.
import { BadInputError } from '../errors.js';
import { valueDepth } from '../formats/json.js';

/** A method name as the field writes them: finetune, gptq, awq, dare-ties, lora-r16 … */
const METHOD = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
/** Serialised settings: 16 KiB holds any training or quantization configuration worth recording. */
export const MAX_SETTINGS_BYTES = 16 * 1024;
/** Nesting of the settings object: configurations are a few levels deep. */
const MAX_SETTINGS_DEPTH = 16;
/** Parents of one derivative: merges of many models exist, but not of hundreds. */
export const MAX_PARENTS = 64;

export function checkExternalRecipe(
  input: { method: string; settings?: unknown } | null | undefined,
  field = 'recipe',
): Record<string, unknown> | null {
  if (!input) return null;
  if (!METHOD.test(input.method))
    throw new BadInputError(`${field}.method`, 'must be a name of at most 64 letters, digits, ".", "_", "+" or "-" (e.g. finetune, gptq)');
  const settings = input.settings;
  if (settings === undefined || settings === null) return { method: input.method };
  if (typeof settings !== 'object' || Array.isArray(settings)) throw new BadInputError(`${field}.settings`, 'must be a JSON object');
  if (valueDepth(settings, MAX_SETTINGS_DEPTH) > MAX_SETTINGS_DEPTH)
    throw new BadInputError(`${field}.settings`, `must be nested at most ${MAX_SETTINGS_DEPTH} levels deep`);
  const bytes = Buffer.byteLength(JSON.stringify(settings));
  if (bytes > MAX_SETTINGS_BYTES)
    throw new BadInputError(
      `${field}.settings`,
      `is ${bytes.toLocaleString('en-US')} bytes as JSON; at most ${MAX_SETTINGS_BYTES} (16 KiB)`,
    );
  return { ...(settings as Record<string, unknown>), method: input.method };
}
