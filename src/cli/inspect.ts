import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type InspectReport, inspectCheckpoint } from '../arch/inspect.js';
import { COMPONENTS } from '../arch/types.js';
import { measureSparsity } from '../pruning/measureSparsity.js';
import { RECIPE_FILE } from '../pruning/output.js';
import { formatBytes, formatInt, table } from './format.js';

function render(r: InspectReport): string {
  const a = r.arch;
  const p = r.parameters;
  const lines = [
    `${r.path}`,
    `architecture   ${r.architecture} (family ${a.family}, ${a.kind})`,
    `shape          hidden ${a.hiddenSize}, intermediate ${a.intermediateSize}, ${a.t5 ? `${a.numLayers} encoder + ${a.t5.numDecoderLayers} decoder` : a.numLayers} layers, ${a.numHeads} heads / ${a.numKvHeads} kv, head_dim ${a.headDim}, vocab ${a.vocabSize}${a.tiedEmbeddings ? ', tied embeddings' : ''}`,
    `dtype          ${r.dtype}${Object.keys(r.dtypes).length > 1 ? ` (mixed: ${Object.keys(r.dtypes).join(', ')})` : ''}`,
    `tensors        ${r.tensorCount}${r.sharded ? ' (sharded)' : ''}`,
    `on disk        ${formatBytes(r.bytesOnDisk)} (${formatInt(r.bytesOnDisk)} bytes; weights ${formatInt(r.weightBytes)})`,
    '',
    table([
      ['parameters', 'from tensors', 'from config'],
      ...COMPONENTS.filter((c) => p.fromTensors.byComponent[c] > 0 || p.fromConfig.byComponent[c] > 0).map((c) => [
        c,
        formatInt(p.fromTensors.byComponent[c]),
        formatInt(p.fromConfig.byComponent[c]),
      ]),
      ['total', formatInt(p.fromTensors.total), formatInt(p.fromConfig.total)],
    ]),
    '',
    table([['weight memory', 'bytes', ''], ...Object.entries(r.weightMemory).map(([k, v]) => [k, formatInt(v), formatBytes(v)])]),
  ];
  if (!p.agree) {
    lines.push('', 'MISMATCH between config.json and the tensors:');
    for (const m of p.fromTensors.missing) lines.push(`  missing     ${m}`);
    for (const u of p.fromTensors.unexpected) lines.push(`  unexpected  ${u}`);
    for (const s of p.fromTensors.shapeMismatches) lines.push(`  shape       ${s.name}: expected [${s.expected}], found [${s.actual}]`);
  }
  return lines.join('\n');
}

export async function inspect(dir: string, options: { json?: boolean; sparsity?: boolean }): Promise<void> {
  const report = await inspectCheckpoint(resolve(dir));
  // Counting zeros reads every projection weight, so only when asked or when Bonsai sparsified the folder.
  const recipe = join(resolve(dir), RECIPE_FILE);
  const sparsified = existsSync(recipe) && /"method":\s*"sparsity"/.test(readFileSync(recipe, 'utf8'));
  const sparsity = options.sparsity || sparsified ? await measureSparsity(resolve(dir)) : undefined;
  if (options.json) {
    process.stdout.write(`${JSON.stringify(sparsity ? { ...report, sparsity } : report, null, 2)}\n`);
    if (!report.parameters.agree) process.exitCode = 1;
    return;
  }
  if (!report.parameters.agree) process.exitCode = 1;
  let text = render(report);
  if (sparsity) {
    const zero = sparsity.targetParameters - sparsity.nonZero;
    text += `\n\nsparsity       ${formatInt(sparsity.nonZero)} of ${formatInt(sparsity.targetParameters)} projection weights non-zero (${((100 * zero) / sparsity.targetParameters).toFixed(2)} % zero; stored dense)`;
  }
  process.stdout.write(`${text}\n`);
}
