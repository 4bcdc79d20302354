// `bonsai register PATH|hf://ORG/NAME[@REV] --name OWNER/NAME`: what the registerModel mutation
// does, from the machine the registry runs on (the same import roots apply).
import { resolve } from 'node:path';
import { isHfReference } from '../registry/hfCache.js';
import { formatModelName } from '../registry/names.js';
import { registerModel } from '../registry/register.js';
import { formatBytes, formatInt } from './format.js';
import { withRegistry } from './registry.js';

export interface RegisterFlags {
  name: string;
  license?: string;
  description?: string;
  tag?: string[];
}

export async function registerCommand(path: string, flags: RegisterFlags): Promise<void> {
  const { model, source, skipped } = await withRegistry('register', (deps) =>
    registerModel(deps, {
      path: isHfReference(path) ? path : resolve(path),
      name: flags.name,
      license: flags.license ?? null,
      description: flags.description ?? null,
      tags: flags.tag ?? [],
    }),
  );
  process.stdout.write(
    `registered ${formatModelName(model)} from ${source}: ${model.architecture}, ${formatInt(model.parameterCount ?? 0)} parameters, ` +
      `${model.dtype}, ${formatBytes(Number(model.byteSize))} of weights\n`,
  );
  for (const f of skipped) process.stdout.write(`  skipped ${f.name}${f.size === null ? '' : ` (${formatBytes(f.size)})`}: ${f.reason}\n`);
}
