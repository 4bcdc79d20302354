// A faster merge-rank lookup for @huggingface/tokenizers' BPE model, the same ranks. The library
// (0.2.x, `BPE.add_node`) looks a pair's rank up as `bpe_ranks.get(JSON.stringify([a, b]))`: a
// string built and hashed for every candidate pair of every word, 43 % of the CPU of encoding
// kjv-train.txt line by line with the shared model's Llama-2 tokenizer (which has no
// pre-tokenizer, so each line is one BPE word and the library's word cache never hits). A
// two-level map of the library's own `merges` gives every pair the rank it would (a merge listed
// twice keeps its last rank, as the library's Map does). Measured on a loaded 2-core machine,
// every id equal: 3,000 verses 0.61 against 1.17 CPU-s with Llama-2; Gemma-3 on fortunes-de.txt
// 0.76 against 1.70, after 0.48 CPU-s to build the map of its 514,906 merges (0.03 for Llama-2's
// 58,980), so below a few thousand lines of Gemma-3 text it costs more than it saves. The tests
// that compare trims with the original tokenizer encode with the library as it is.
import type { Tokenizer } from '@huggingface/tokenizers';

interface BpeNode {
  token: string;
  bias: number;
  score?: number;
  next: BpeNode;
}
interface BpeModelInternals {
  bpe_ranks?: unknown;
  merges?: unknown;
  add_node?: unknown;
}

/** Swaps `tok`'s BPE pair lookup for the two-level one; leaves any other model (or another library version) as it is. */
export function withPairRanks(tok: Tokenizer): Tokenizer {
  const model = tok.model as unknown as BpeModelInternals | undefined;
  if (
    !model ||
    !(model.bpe_ranks instanceof Map) ||
    !Array.isArray(model.merges) ||
    typeof model.add_node !== 'function' ||
    model.add_node.length !== 2
  )
    return tok;
  // The pairs the library ranked (`merges`, split as it splits them), each at its index: the ranks
  // of `bpe_ranks`, a later listing of a pair overwriting an earlier one as it does there.
  const merges = model.merges as ReadonlyArray<readonly [string, string]>;
  const ranks = new Map<string, Map<string, number>>();
  for (let i = 0; i < merges.length; i++) {
    const [a, b] = merges[i]!;
    const byNext = ranks.get(a);
    if (byNext) byNext.set(b, i);
    else ranks.set(a, new Map([[b, i]]));
  }
  // The library's add_node with the lookup replaced (tokenizers.js, BPE.add_node).
  model.add_node = (queue: { push(node: BpeNode): void }, node: BpeNode) => {
    const rank = ranks.get(node.token)?.get(node.next.token);
    if (rank !== undefined) {
      node.score = rank + node.bias;
      queue.push(node);
    }
  };
  return tok;
}
