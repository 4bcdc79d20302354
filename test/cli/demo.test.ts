// `bonsai demo --quick` as a user runs it (embedded Postgres, a worker, the API): every seed model
// READY, three generations, and each card showing its parameters, memory and perplexity.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../fixtures/checkpoints.js';
import { type BonsaiProcess, runBonsai } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';

const home = tempDir('bonsai-demo-');
let demo: BonsaiProcess | undefined;

afterAll(async () => {
  if (demo && demo.child.exitCode === null && demo.child.signalCode === null) {
    demo.child.kill('SIGTERM');
    await demo.exited;
  }
  rmSync(home, { recursive: true, force: true });
});

interface TreeNode {
  depth: number;
  model: {
    name: string;
    status: string;
    parameterCount: string;
    config: { vocab_size: number };
    evaluations: Array<{ task: string; metric: string; value: number }>;
  };
}

// The shared model's README: 6 layers, hidden 192, intermediate 512, 8,800,704 parameters.
const BASE = 8_800_704;
const HIDDEN = 192;
const LAYERS = 6;
const BLOCK = 4 * HIDDEN * HIDDEN + 3 * HIDDEN * 512 + 2 * HIDDEN;

describe('bonsai demo', () => {
  it('builds the seed tree through the API and leaves the catalog running', async () => {
    demo = runBonsai(['demo', '--quick', '--shared', sharedDir], { BONSAI_HOME: home, PORT: '0' });
    const out = await demo.waitFor(/Card:\s+http:\/\/\S+README\.md/, 600_000);
    const url = /Catalog:\s+(http:\/\/\S+)\//.exec(out)![1]!;

    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `{ modelTree(root: "bible/tiny-llama-kjv", depth: 6) {
          nodes { depth model { name status parameterCount config evaluations { task metric value } } } } }`,
      }),
    });
    const nodes = ((await res.json()) as { data: { modelTree: { nodes: TreeNode[] } } }).data.modelTree.nodes;
    expect(nodes).toHaveLength(14);
    expect(Math.max(...nodes.map((n) => n.depth))).toBeGreaterThanOrEqual(2);
    for (const n of nodes) expect(n.model.status, n.model.name).toBe('READY');

    const params = Object.fromEntries(nodes.map((n) => [n.model.name, Number(n.model.parameterCount)]));
    expect(params['bible/tiny-llama-kjv']).toBe(BASE);
    // 40 % of 512 neurons is 204.8: the engine keeps ceil(0.6 × 512) = 308, removing 204 per layer.
    expect(params['bible/tiny-llama-kjv-width40-maw']).toBe(BASE - LAYERS * 3 * HIDDEN * 204);
    expect(params['bible/tiny-llama-kjv-depth2-ppl']).toBe(BASE - 2 * BLOCK);
    expect(params['bible/tiny-llama-kjv-depth2-bi']).toBe(BASE - 2 * BLOCK);
    // The recoveries change values, not shapes.
    expect(params['bible/tiny-llama-kjv-width40-maw-ls']).toBe(params['bible/tiny-llama-kjv-width40-maw']);
    expect(params['bible/tiny-llama-kjv-depth2-bi-linear']).toBe(BASE - 2 * BLOCK);
    expect(params['bible/tiny-llama-kjv-sparsegpt-2of4']).toBe(BASE);
    // Half of the 6 heads (each its own key/value group): q/k/v lose 3 × 32 rows of 192, o_proj as many columns.
    expect(params['bible/tiny-llama-kjv-heads50-activation']).toBe(BASE - LAYERS * 4 * 3 * 32 * HIDDEN);
    // Sparsity keeps the tensors dense, OWL's too.
    expect(params['bible/tiny-llama-kjv-wanda50']).toBe(BASE);
    expect(params['bible/tiny-llama-kjv-wanda50-owl']).toBe(BASE);
    // 20 % of 192 hidden channels is 38.4: 38 go, 154 stay in the tied embedding, every projection's
    // hidden side (q/k/v in, o out: 4 × 192 × h; MLP 3 × 512 × h), two norms per layer and the final norm.
    const h = 154;
    expect(params['bible/tiny-llama-kjv-hidden20-magnitude']).toBe(32_000 * h + LAYERS * (4 * 192 * h + 3 * 512 * h + 2 * h) + h);
    // Trimming slices the tied 32,000 × 192 embedding to the kept tokens, a multiple of 64.
    const vocab = (name: string) => nodes.find((n) => n.model.name === name)!.model.config.vocab_size;
    for (const [child, parent] of [
      ['bible/tiny-llama-kjv-vocab-kjv', 'bible/tiny-llama-kjv'],
      ['bible/tiny-llama-kjv-width40-maw-vocab-kjv', 'bible/tiny-llama-kjv-width40-maw'],
    ] as const) {
      expect(vocab(child) % 64).toBe(0);
      expect(vocab(child)).toBeLessThan(32_000);
      expect(params[child]).toBe(params[parent]! - (32_000 - vocab(child)) * HIDDEN);
    }

    const ppl = (n: TreeNode) => n.model.evaluations.find((e) => e.task === 'perplexity' && e.metric === 'perplexity')?.value;
    const base = nodes.find((n) => n.depth === 0)!;
    // Each training-free recovery beside the cut it recovers from (README, bench:recovery).
    const pplOf = (name: string) => ppl(nodes.find((n) => n.model.name === `bible/tiny-llama-kjv-${name}`)!)!;
    const recovered = { 'width40-maw-ls': 'width40-maw', 'depth2-bi-linear': 'depth2-bi', 'sparsegpt-2of4': 'wanda-2of4' };
    for (const [better, cut] of Object.entries(recovered)) expect(pplOf(better), better).toBeLessThan(pplOf(cut));
    for (const n of nodes) {
      const value = ppl(n);
      expect(value, n.model.name).toBeDefined();
      // No recovery fine-tuning: every cut inside the network costs some quality on held-out text.
      // Trimming only drops tokens (and their share of the softmax), so it stays close to its parent.
      if (n.model.name.endsWith('-vocab-kjv')) {
        const parent = nodes.find((p) => p.model.name === n.model.name.replace(/-vocab-kjv$/, ''))!;
        expect(Math.abs(value! / ppl(parent)! - 1), n.model.name).toBeLessThan(0.1);
      } else if (n !== base && !Object.keys(recovered).some((r) => n.model.name.endsWith(r)))
        expect(value!, n.model.name).toBeGreaterThan(ppl(base)!);
      const card = await (await fetch(`${url}/models/${n.model.name}/README.md`)).text();
      expect(card).toContain(params[n.model.name]!.toLocaleString('en-US'));
      expect(card).toMatch(/Hardware requirements/i);
      // Decimal units, the Hub's and the CLI's (issue 32 item 8).
      expect(card).toMatch(/\d MB\b/);
      expect(card).not.toMatch(/[KMGT]iB/);
      expect(card).toContain(value!.toFixed(4));
    }

    demo.child.kill('SIGTERM');
    expect((await demo.exited).code).toBe(0);
  }, 720_000);
});
