// Speed on this machine: prefill tokens per second (batch 1, a full context), per-token latency
// at batch 1 (a one-token forward: the graph has no KV cache, so this is the cost of the first
// token, not of cached decoding), and the process's peak RSS (src/peakRss.ts: in a job process, its job's).
import { peakRssBytes } from '../peakRss.js';
import type { EvalContext, EvalResult } from './types.js';

export async function speed(ctx: EvalContext, o: { contextLength?: number; runs?: number; threads?: number }): Promise<EvalResult[]> {
  const len = Math.min(o.contextLength ?? 256, ctx.maxPositions);
  const runs = o.runs ?? 5;
  const ids = Array.from({ length: len }, (_, i) => 3 + (i % 97));
  await ctx.session.run([ids], ['greedy']);
  let prefill = 0;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await ctx.session.run([ids], ['greedy']);
    prefill += performance.now() - t;
    ctx.onProgress?.((r + 1) / (2 * runs));
  }
  let single = 0;
  for (let r = 0; r < runs * 4; r++) {
    const t = performance.now();
    await ctx.session.run([[ids[0]!]], ['greedy']);
    single += performance.now() - t;
  }
  const settings = { contextLength: len, batchSize: 1, runs, threads: o.threads ?? null, kvCache: false };
  return [
    { task: 'speed', metric: 'prefill_tokens_per_second', value: (len * runs) / (prefill / 1000), settings },
    { task: 'speed', metric: 'latency_ms', value: single / (runs * 4), settings },
    { task: 'speed', metric: 'peak_rss_bytes', value: peakRssBytes(), settings },
  ];
}
