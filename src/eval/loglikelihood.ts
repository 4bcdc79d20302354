// Log-likelihood of a continuation given a context, as lm-evaluation-harness computes it: the
// pair is encoded whole and the continuation's tokens are those after the context's encoding;
// the sum of their log-softmax, and whether each is the greedy prediction.
import type { EvalContext } from './types.js';

export interface Continuation {
  logprob: number;
  greedy: boolean;
  tokens: number;
}

export async function scoreContinuations(
  ctx: EvalContext,
  pairs: ReadonlyArray<{ context: string; continuation: string }>,
): Promise<Continuation[]> {
  const out: Continuation[] = [];
  for (const { context, continuation } of pairs) {
    ctx.signal?.throwIfAborted();
    const bos = ctx.tokenizer.bos !== null ? [ctx.tokenizer.bos] : [];
    const ctxIds = [...bos, ...ctx.tokenizer.encode(context)];
    const whole = [...bos, ...ctx.tokenizer.encode(context + continuation)];
    let cont = whole.slice(ctxIds.length);
    // A merge across the boundary can make the whole shorter than context + continuation: take
    // the tokens that differ from the context's encoding, at least one.
    if (cont.length === 0) cont = whole.slice(-1);
    const all = [...whole.slice(0, whole.length - cont.length), ...cont].slice(-(ctx.maxPositions + 1));
    const input = all.slice(0, -1);
    const targets = all.slice(1);
    const res = await ctx.session.run([input], ['target_logprobs', 'greedy'], [targets]);
    const lp = res.target_logprobs!.data as Float32Array;
    const greedy = res.greedy!.data as BigInt64Array;
    let sum = 0;
    let match = true;
    for (let p = targets.length - cont.length; p < targets.length; p++) {
      sum += lp[p]!;
      if (Number(greedy[p]) !== targets[p]) match = false;
    }
    out.push({ logprob: sum, greedy: match, tokens: cont.length });
  }
  return out;
}
