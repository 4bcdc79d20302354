// The tokenizer and config rewrite of a trimmed vocabulary: ids renumbered densely in their old
// order, and every place that names an id remapped (vocab, merges, added tokens, post-processor
// templates, tokenizer_config's added_tokens_decoder, config and generation_config token ids).
import { BadInputError } from '../errors.js';
import { mergeResult, parseMerge, type TokenizerJson } from './bpe.js';

export type IdMap = Map<number, number>;

export function idMap(kept: readonly number[]): IdMap {
  return new Map(kept.map((old, i) => [old, i]));
}

function remapId(map: IdMap, id: number, where: string): number {
  const to = map.get(id);
  if (to === undefined)
    throw new BadInputError('tokenizer', `${where} refers to token id ${id}, which the trimmed vocabulary does not keep`);
  return to;
}

/** Walks a post-processor (TemplateProcessing, Sequence, RobertaProcessing…) remapping its ids. */
function remapProcessor(node: unknown, map: IdMap): unknown {
  if (Array.isArray(node)) return node.map((n) => remapProcessor(n, map));
  if (!node || typeof node !== 'object') return node;
  const o = { ...(node as Record<string, unknown>) };
  if (o.special_tokens && typeof o.special_tokens === 'object') {
    o.special_tokens = Object.fromEntries(
      Object.entries(o.special_tokens as Record<string, { ids: number[] }>).map(([k, v]) => [
        k,
        { ...v, ids: v.ids.map((id) => remapId(map, id, `post_processor special token ${k}`)) },
      ]),
    );
  }
  // RobertaProcessing / BertProcessing: ["<s>", 0].
  for (const key of ['sep', 'cls']) {
    const pair = o[key];
    if (Array.isArray(pair) && typeof pair[1] === 'number') o[key] = [pair[0], remapId(map, pair[1], `post_processor ${key}`)];
  }
  if (Array.isArray(o.processors)) o.processors = o.processors.map((p) => remapProcessor(p, map));
  return o;
}

export function rewriteTokenizerJson(json: TokenizerJson, map: IdMap): TokenizerJson {
  const model = { ...json.model };
  if (Array.isArray(json.model.vocab)) {
    // Unigram: the id is the position; pieces keep their scores, in new-id order.
    const pieces: Array<[string, number]> = [];
    json.model.vocab.forEach((entry, id) => {
      const to = map.get(id);
      if (to !== undefined) pieces[to] = entry;
    });
    model.vocab = pieces.filter((p) => p !== undefined);
    if (typeof json.model.unk_id === 'number') model.unk_id = remapId(map, json.model.unk_id, 'model.unk_id');
  } else {
    const vocab: Record<string, number> = {};
    const keptTokens = new Set<string>();
    // Insertion in new-id order keeps the file's vocab ordered like the original's.
    const entries = Object.entries(json.model.vocab)
      .filter(([, id]) => map.has(id))
      .sort((a, b) => a[1] - b[1]);
    for (const [t, id] of entries) {
      vocab[t] = map.get(id)!;
      keptTokens.add(t);
    }
    model.vocab = vocab;
    // BPE: a merge survives when both parts and its result (src/vocab/bpe.ts, `mergeResult`) do.
    if (json.model.merges) {
      const prefix = json.model.continuing_subword_prefix ?? '';
      model.merges = json.model.merges.filter((m, i) => {
        const [a, b] = parseMerge(m, i);
        return keptTokens.has(a) && keptTokens.has(b) && keptTokens.has(mergeResult(a, b, prefix));
      });
    }
  }
  return {
    ...json,
    model,
    added_tokens: (json.added_tokens ?? [])
      .filter((t) => map.has(t.id))
      .map((t) => ({ ...t, id: map.get(t.id)! }))
      .sort((a, b) => a.id - b.id),
    post_processor: remapProcessor(json.post_processor, map),
  };
}

export function rewriteTokenizerConfig(config: Record<string, unknown>, map: IdMap): Record<string, unknown> {
  const decoder = config.added_tokens_decoder as Record<string, unknown> | undefined;
  if (!decoder) return config;
  const entries = Object.entries(decoder)
    .filter(([id]) => map.has(Number(id)))
    .map(([id, v]) => [map.get(Number(id))!, v] as const)
    .sort((a, b) => a[0] - b[0]);
  return { ...config, added_tokens_decoder: Object.fromEntries(entries.map(([id, v]) => [String(id), v])) };
}

const ID_FIELDS = ['bos_token_id', 'eos_token_id', 'pad_token_id', 'decoder_start_token_id'];

/** config.json or generation_config.json: token ids remapped (and nested text_config's). */
export function rewriteTokenIds(config: Record<string, unknown>, map: IdMap, file: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const key of ID_FIELDS) {
    const v = out[key];
    if (typeof v === 'number') out[key] = remapId(map, v, `${file} ${key}`);
    else if (Array.isArray(v)) out[key] = v.map((x) => (typeof x === 'number' ? remapId(map, x, `${file} ${key}`) : x));
  }
  if (out.text_config && typeof out.text_config === 'object')
    out.text_config = rewriteTokenIds(out.text_config as Record<string, unknown>, map, `${file} text_config`);
  return out;
}
