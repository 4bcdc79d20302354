import { resolve } from 'node:path';
import { type InspectReport, inspectCheckpoint } from '../arch/inspect.js';
import { COMPONENTS } from '../arch/types.js';
import { formatBytes, formatInt, table } from './format.js';

function render(r: InspectReport): string {
  const a = r.arch;
  const p = r.parameters;
  const lines = [
    `${r.path}`,
    `architecture   ${r.architecture} (family ${a.family})`,
    `shape          hidden ${a.hiddenSize}, intermediate ${a.intermediateSize}, ${a.numLayers} layers, ${a.numHeads} heads / ${a.numKvHeads} kv, head_dim ${a.headDim}, vocab ${a.vocabSize}${a.tiedEmbeddings ? ', tied embeddings' : ''}`,
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

export async function inspect(dir: string, options: { json?: boolean }): Promise<void> {
  const report = await inspectCheckpoint(resolve(dir));
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${render(report)}\n`);
  if (!report.parameters.agree) process.exitCode = 1;
}
