// The YAML front matter in Hugging Face's model card form (huggingface_hub's ModelCardData):
// base_model, base_model_relation only for the relations the Hub knows, and model-index with
// one result per task, dataset and settings.
import { methodNamed } from '../pruning/methods/index.js';
import type { CardEvaluation, CardInput } from './input.js';

const HUB_RELATION: Record<string, string> = { FINETUNED: 'finetune', ADAPTER: 'adapter', MERGED: 'merge', QUANTIZED: 'quantized' };

export function methodOf(input: CardInput): string | null {
  const m = input.parents[0]?.recipe.method;
  return typeof m === 'string' ? m : null;
}

function modelIndex(name: string, evaluations: readonly CardEvaluation[]) {
  const groups = new Map<string, CardEvaluation[]>();
  for (const e of evaluations) {
    const key = `${e.task}\u0000${e.dataset ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [
    {
      name,
      results: [...groups.values()].map((group) => ({
        task: { type: 'text-generation', name: group[0]!.task },
        dataset: { name: group[0]!.dataset ?? group[0]!.task, type: group[0]!.dataset ?? group[0]!.task },
        metrics: group.map((e) => ({ type: e.metric, value: Number(e.value.toPrecision(6)), name: `${e.task} ${e.metric}` })),
      })),
    },
  ];
}

export function frontMatter(input: CardInput): Record<string, unknown> {
  const method = methodOf(input);
  const tag = methodNamed(method)?.hubTag;
  const tags = [...new Set(['bonsai', ...(tag ? [tag] : []), ...(input.tags ?? [])])];
  const meta: Record<string, unknown> = {};
  if (input.license) meta.license = input.license;
  // The Hub reads base_model as a model id: a parent known only as a folder has none to give.
  const named = input.parents.filter((p) => !p.unnamed);
  if (named.length === 1) meta.base_model = named[0]!.name;
  else if (named.length > 1) meta.base_model = named.map((p) => p.name);
  const hub = input.parents[0] ? HUB_RELATION[input.parents[0].relation] : undefined;
  if (hub) meta.base_model_relation = hub;
  meta.tags = tags;
  meta.library_name = 'transformers';
  meta.pipeline_tag = 'text-generation';
  if (input.evaluations.length) meta['model-index'] = modelIndex(input.name, input.evaluations);
  return meta;
}
