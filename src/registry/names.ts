// Model names follow the Hub: `owner/name`, letters, digits, `-`, `_`, `.`, at most 96 each.
import { BadInputError } from '../errors.js';

const PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$/;

export interface ModelName {
  owner: string;
  name: string;
}

export function parseModelName(full: string, field = 'name'): ModelName {
  const parts = full.split('/');
  if (parts.length !== 2 || !PART.test(parts[0]!) || !PART.test(parts[1]!) || full.includes('..')) {
    throw new BadInputError(field, `"${full}" is not a model name: use owner/name with letters, digits, "-", "_" or "."`);
  }
  return { owner: parts[0]!, name: parts[1]! };
}

export function formatModelName(m: ModelName): string {
  return `${m.owner}/${m.name}`;
}
