// The card's sections, each a function of the card input. Every number is computed from the
// config and the stored tensors; nothing is typed by hand.
import { countFromConfig } from '../arch/params.js';
import { parseArchitecture } from '../arch/registry.js';
import type { ArchConfig } from '../arch/types.js';
import { compareWithParent } from '../eval/comparable.js';
import { methodNamed } from '../pruning/methods/index.js';
import type { CardText } from '../pruning/methods/types.js';
import { methodSpec, recipeToFlags } from '../recipes/fields.js';
import type { Recipe } from '../recipes/schema.js';
import { methodOf } from './frontMatter.js';
import {
  CPU_HEADROOM,
  formatBytes,
  formatParameters,
  GPU_UTILIZATION,
  hardwareRequirements,
  KV_BYTES,
  RUNTIME_OVERHEAD,
  WEIGHT_DTYPES,
} from './hardware.js';
import type { CardEvaluation, CardInput } from './input.js';
import { recoveryLine } from './recovery.js';

const formatInt = (n: number) => n.toLocaleString('en-US');

const CONFIG_FIELDS = [
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'head_dim',
  'vocab_size',
  'max_position_embeddings',
  'sliding_window',
  'layer_types',
];

export function pct(after: number, before: number): string {
  const d = ((after - before) / before) * 100;
  return `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(2)} %`;
}

function fmt(v: unknown): string {
  if (Array.isArray(v)) return v.length > 6 ? `[${v.length} entries]` : `[${v.join(', ')}]`;
  return v === undefined ? '—' : String(v);
}

export function archOf(config: Record<string, unknown>): ArchConfig {
  return parseArchitecture(config, 'config.json');
}

/** How the card states a recorded recipe: its method's words, or the recorded method as it is. */
function describeRecipe(recipe: Record<string, unknown>): CardText {
  const m = String(recipe.method ?? 'external');
  return methodNamed(m)?.card(recipe) ?? { method: m, criterion: '—', ratio: '—' };
}

export function details(input: CardInput): string {
  const arch = archOf(input.config);
  const parent = input.parents[0];
  const rows: string[] = [
    '| | |',
    '|---|---|',
    `| Model type | ${String((input.config.architectures as string[] | undefined)?.[0] ?? arch.modelType)} (\`${arch.modelType}\`) |`,
  ];
  if (parent) {
    const r = describeRecipe(parent.recipe);
    rows.push(
      // ../OWNER/NAME: the Hub's model URL beside this one; Bonsai's server answers it too.
      `| Original model | ${parent.unnamed ? parent.name : `[${parent.name}](../${parent.name})`} |`,
      `| Relation | ${parent.relation} |`,
      `| Method | ${r.method} |`,
      `| Criterion | ${r.criterion} |`,
      `| Ratio | ${r.ratio} |`,
    );
    const nz = parent.result;
    if (nz?.reconstruction?.layers?.length) rows.push(`| Held-out check | ${recoveryLine(nz.reconstruction)} |`);
    if (nz?.nonZero !== undefined && nz.targetParameters)
      rows.push(`| Non-zero projection weights | ${formatInt(nz.nonZero)} of ${formatInt(nz.targetParameters)} |`);
  }
  const before = parent?.parameterCount ?? (parent?.config ? countFromConfig(archOf(parent.config)).total : null);
  if (before) {
    rows.push(
      `| Parameters | ${before.toLocaleString('en-US')} → ${input.parameterCount.toLocaleString('en-US')} (${formatParameters(before)} → ${formatParameters(input.parameterCount)}) |`,
    );
    rows.push(`| Reduction | ${pct(input.parameterCount, before)} |`);
  } else {
    rows.push(`| Parameters | ${input.parameterCount.toLocaleString('en-US')} (${formatParameters(input.parameterCount)}) |`);
  }
  if (input.dtype) rows.push(`| Stored dtype | ${input.dtype} |`);
  let out = `## Model details\n\n${rows.join('\n')}\n`;
  if (parent?.config) {
    const changes = CONFIG_FIELDS.filter(
      (f) =>
        JSON.stringify(parent.config![f]) !== JSON.stringify(input.config[f]) &&
        (parent.config![f] !== undefined || input.config[f] !== undefined),
    );
    if (changes.length) {
      out += `\n### Architecture changes\n\n| field | ${parent.name} | this model |\n|---|---|---|\n${changes.map((f) => `| \`${f}\` | ${fmt(parent.config![f])} | ${fmt(input.config[f])} |`).join('\n')}\n`;
    }
  }
  return out;
}

function settingsText(s: Record<string, unknown>): string {
  const keys = ['contextLength', 'stride', 'samples', 'tokens', 'datasetSha256'];
  return keys
    .filter((k) => s[k] !== undefined)
    .map((k) => `${k} ${k === 'datasetSha256' ? String(s[k]).slice(0, 12) : s[k]}`)
    .join(', ');
}

export function evaluationTable(evals: readonly CardEvaluation[]): string {
  if (!evals.length)
    return '## Evaluation\n\nNo evaluation results yet. Run `bonsai eval DIR --task perplexity --data FILE`, or `evaluateModel` through the API.\n';
  const rows = evals.map(
    (e) =>
      `| ${e.task} | ${e.dataset ?? '—'} | ${e.metric} | ${e.value.toFixed(4)}${e.stderr ? ` ± ${e.stderr.toFixed(4)}` : ''} | ${settingsText(e.settings)} |`,
  );
  return `## Evaluation\n\n| task | dataset | metric | value | settings |\n|---|---|---|---|---|\n${rows.join('\n')}\n`;
}

/** The real non-zero count of a sparsified model, which its unchanged parameter count hides. */
function sparsityText(parent: CardInput['parents'][number] | undefined): string | null {
  const r = parent?.result;
  if (!r || r.nonZero === undefined || !r.targetParameters) return null;
  const zero = r.targetParameters - r.nonZero;
  return (
    `${formatInt(r.nonZero)} of ${formatInt(r.targetParameters)} weights in the attention and MLP projections are non-zero ` +
    `(${((100 * zero) / r.targetParameters).toFixed(2)} % sparse); they are stored dense, so memory and speed change only with sparse (N:M) kernels.`
  );
}

export function keyFindings(input: CardInput): string {
  const parent = input.parents[0];
  const lines: string[] = [];
  const before = parent?.parameterCount ?? null;
  if (parent && before)
    lines.push(
      `- ${formatParameters(before)} → ${formatParameters(input.parameterCount)} parameters (${pct(input.parameterCount, before)}) relative to ${parent.name}.`,
    );
  const sparse = sparsityText(parent);
  if (sparse) lines.push(`- ${sparse}`);
  // One rule and one wording with the catalog's list, chart and Evaluations tab (src/eval/comparable.ts).
  const reasons = new Set<string>();
  for (const e of input.evaluations) {
    if (!parent?.evaluations) continue;
    const c = compareWithParent(
      { ...e, dataset: e.dataset ?? null },
      parent.evaluations.map((p) => ({ ...p, dataset: p.dataset ?? null })),
      parent.sameTokenizer ?? true,
    );
    if (!c.comparable) {
      reasons.add(`- ${e.task} ${e.metric} on ${e.dataset ?? 'its data'}: not comparable with ${parent.name}: ${c.reason}.`);
      continue;
    }
    lines.push(
      `- ${e.task} ${e.metric} on ${e.dataset ?? 'its data'}: ${c.parent.toFixed(4)} → ${e.value.toFixed(4)} (${pct(e.value, c.parent)}, ${c.better ? 'better or equal' : 'worse'}; ${settingsText(e.settings)}).`,
    );
  }
  const compared = lines.length - (before ? 1 : 0) - (sparse ? 1 : 0);
  if (parent && !compared && reasons.size) lines.push(...reasons);
  else if (parent && !compared)
    lines.push(
      `- No evaluation measured under the same settings for this model and ${parent.name} yet, so no quality change can be stated.`,
    );
  if (!parent) lines.push('- A base model: the figures below are its own.');
  return `## Key findings\n\n${lines.join('\n')}\n`;
}

export function limitations(input: CardInput): string {
  const lines: string[] = [...(methodNamed(methodOf(input))?.limitations ?? [])];
  lines.push(
    '- The hardware figures are estimates from the architecture (weights, KV cache and a stated overhead); activations of long prompts and framework buffers vary by runtime.',
  );
  return `## Limitations\n\n${lines.join('\n')}\n`;
}

/** What the KV cache line says: an encoder keeps none; a T5 keeps self- and cross-attention caches. */
function kvLine(arch: ArchConfig, perToken: number): string {
  if (arch.kind === 'encoder')
    return 'An encoder reads its whole input at once and keeps no KV cache; memory beyond the weights is activations.';
  const which =
    arch.kind === 'decoder'
      ? `all ${arch.numLayers} layers`
      : `${arch.layerTypes.length} caches: self- and cross-attention in each of the ${arch.t5?.numDecoderLayers} decoder blocks`;
  return `KV cache per token (bf16, ${which}): ${formatBytes(perToken)}.`;
}

function cacheLayers(arch: ArchConfig): string {
  if (arch.kind === 'encoder-decoder') {
    return `caches (${arch.layerTypes.length}: self- and cross-attention in each of the ${arch.t5?.numDecoderLayers} decoder blocks)`;
  }
  if (arch.kind === 'encoder') return 'caches (0)';
  return `layers (${arch.numLayers})`;
}

export function hardware(input: CardInput): string {
  const arch = archOf(input.config);
  const context = input.contextLength ?? Math.min(arch.maxPositionEmbeddings, 4096);
  const batch = input.batchSize ?? 1;
  const rows = WEIGHT_DTYPES.filter((d) => d !== 'fp16').map((d) => {
    const kv = d === 'fp32' ? 'fp32' : 'bf16';
    const h = hardwareRequirements(arch, input.parameterCount, { contextLength: context, batchSize: batch, weightDtype: d, kvDtype: kv });
    return `| ${d === 'bf16' ? 'bf16 / fp16' : d} | ${formatBytes(h.weightBytes)} | ${formatBytes(h.kvCacheBytes)} (${kv}) | ${formatBytes(h.overheadBytes)} | ${formatBytes(h.totalBytes)} | ${formatBytes(h.minGpuBytes)} | ${formatBytes(h.recommendedCpuRamBytes)} |`;
  });
  const caches = arch.layerTypes.length;
  const perToken = 2 * caches * arch.numKvHeads * arch.headDim * KV_BYTES.bf16;
  const window =
    arch.slidingWindow && arch.layerTypes.includes('sliding_attention')
      ? ` ${arch.layerTypes.filter((t) => t === 'sliding_attention').length} of ${arch.numLayers} layers use a sliding window of ${arch.slidingWindow} positions, so they hold min(context, ${arch.slidingWindow}).`
      : '';
  return `## Hardware requirements

At a context of ${context.toLocaleString('en-US')} tokens and batch ${batch} (1 GB = 10⁹ bytes):

| weights | weight memory | KV cache | runtime overhead | total | minimum GPU memory | recommended CPU RAM |
|---|---|---|---|---|---|---|
${rows.join('\n')}

${kvLine(arch, perToken)}${window}

How these are computed:
- weight memory = parameters (${input.parameterCount.toLocaleString('en-US')}) × bytes per parameter (fp32 4, bf16/fp16 2, int8 1, int4 0.5)
- KV cache = 2 × ${cacheLayers(arch)} × kv_heads (${arch.numKvHeads}) × head_dim (${arch.headDim}) × context × batch × bytes
- runtime overhead = ${RUNTIME_OVERHEAD * 100} % of the weight memory (accelerate's estimate)
- minimum GPU memory = total ÷ ${GPU_UTILIZATION} (a runtime such as vLLM uses ${GPU_UTILIZATION * 100} % of the device)
- recommended CPU RAM = total × ${1 + CPU_HEADROOM}
`;
}

export function tree(input: CardInput): string {
  const lines: string[] = [];
  if (input.pathToRoot && input.pathToRoot.length > 1) {
    lines.push(`Path to the root: ${input.pathToRoot.map((p, i) => (i === 0 ? `**${p.name}**` : p.name)).join(' ← ')}`);
  } else if (!input.parents.length) {
    lines.push('This is a root of the model tree.');
  }
  const counts = (input.childCounts ?? []).filter((c) => c.count > 0);
  lines.push(
    counts.length
      ? `Children: ${counts.map((c) => `${c.count} ${c.relation.toLowerCase().replace('_', '-')}`).join(', ')}.`
      : 'No children yet.',
  );
  return `## Model tree\n\n${lines.join('\n\n')}\n`;
}

/** A word the shell passes through as it is (POSIX single quotes where needed). */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

export function reproduce(input: CardInput): string {
  const parent = input.parents[0];
  if (!parent || !methodSpec(String(parent.recipe.method))) {
    return parent
      ? `## How to reproduce\n\nMade outside Bonsai (${parent.relation.toLowerCase()}); the recorded recipe:\n\n\`\`\`json\n${JSON.stringify(parent.recipe, null, 2)}\n\`\`\`\n`
      : '';
  }
  // The request, not what calibration decided from it: a data-driven depth recipe records the
  // blocks it chose, and giving them back as --layers would be a different recipe.
  const resolvedByCalibration = new Set(methodNamed(parent.recipe.method)?.resolvedFields?.(parent.recipe) ?? []);
  // The flags come from the recipe schema (src/recipes/fields.ts), as `bonsai prune` reads them.
  const args = recipeToFlags(parent.recipe as unknown as Recipe, resolvedByCalibration).map(([flag, v]) => `${flag} ${shellWord(v)}`);
  const out = input.name.split('/').pop();
  return `## How to reproduce

\`\`\`sh
bonsai prune ${shellWord(input.parentLocation ?? parent.name)} ${shellWord(out ?? 'out')} ${args.join(' ')}
\`\`\`

Run it from any folder on the machine of this registry: \`bonsai prune\` takes the parent from the
registry by its name (or a folder) and writes byte-identical weights. (\`bonsai\` is on the PATH once
Bonsai is installed: \`npm ci && npm link --ignore-scripts\` in its folder.)

The recipe (also in \`bonsai_recipe.json\` beside the weights):

\`\`\`json
${JSON.stringify(parent.recipe, null, 2)}
\`\`\`
`;
}
