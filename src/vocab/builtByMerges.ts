// Which corpus tokens BPE built through merges. With `ignore_merges` (Llama-3 style), the
// tokenizers crate emits a pre-token it finds whole in the vocabulary as that one token and runs
// no merge on it (models/bpe/model.rs, `tokenize_with_cache`; tokenizers.js does the same in
// `BPE.encode`); only the pre-tokens it does not find go through `merge_word`, so only the tokens
// those end in need their merge path kept. The pre-tokens are exactly the ones the tokenizer
// library hands its model (after normalizers, added-token splitting and pre-tokenizers), so they
// are observed there rather than re-derived.
import type { Tokenizer } from '@huggingface/tokenizers';

/**
 * Starts recording, into the returned set, every token string `tok`'s model makes from a
 * pre-token that is not a vocabulary entry (one the merges had to build). The set is bounded by
 * the vocabulary, whatever the corpus size.
 */
export function watchMergeBuilt(tok: Tokenizer): Set<string> {
  const built = new Set<string>();
  const model = tok.model;
  if (!model) return built;
  const encode = model.encode.bind(model);
  const vocab = model.tokens_to_ids;
  model.encode = (pre: string[]) => {
    const out = encode(pre);
    // A pre-token not found whole is encoded again alone to see its own tokens; the model's cache
    // (pre-tokens under 256 characters) makes that a lookup.
    for (const p of pre) if (!vocab.has(p)) for (const t of encode([p])) built.add(t);
    return out;
  };
  return built;
}
