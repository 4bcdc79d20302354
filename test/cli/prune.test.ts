import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectCheckpoint } from '../../src/arch/inspect.js';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { runBonsai } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('bonsai-cli-prune-');

describe('bonsai plan and bonsai prune', () => {
  it('the plan printed is what prune writes', async () => {
    const planned = runBonsai(['plan', sharedModel, '--method', 'depth', '--last', '2', '--json'], {});
    expect((await planned.exited).code).toBe(0);
    const plan = JSON.parse(planned.output().slice(planned.output().indexOf('{')));
    expect(plan.config.num_hidden_layers).toBe(4);

    const out = join(dir, 'depth2');
    const pruned = runBonsai(['prune', sharedModel, out, '--method', 'depth', '--last', '2'], {});
    expect((await pruned.exited).code).toBe(0);
    expect(pruned.output()).toMatch(/writing \d+%/);
    const report = await inspectCheckpoint(out);
    expect(report.parameters.fromTensors.total).toBe(plan.parameters.after.total);
  });

  it('a list flag as the help writes it ([1, 4]), comma-separated, or repeated: the same layers', async () => {
    const removed = async (...flags: string[]) => {
      const p = runBonsai(['plan', sharedModel, '--method', 'depth', ...flags], {});
      expect((await p.exited).code, flags.join(' ')).toBe(0);
      return /removed layers (.*)/.exec(p.output())?.[1];
    };
    expect(await removed('--layers', '[1, 4]')).toBe('1, 4');
    expect(await removed('--layers', '1,4')).toBe('1, 4');
    expect(await removed('--layers', '1', '--layers', '4')).toBe('1, 4');
  });

  it('vocabulary trimming: plan counts the corpus first and equals what prune writes', async () => {
    const corpus = join(sharedDir, 'data', 'kjv-val.txt');
    const planned = runBonsai(['plan', sharedModel, '--method', 'vocab', '--corpus', corpus, '--json'], {});
    expect((await planned.exited).code).toBe(0);
    expect(planned.output()).toContain('counting the corpus');
    const plan = JSON.parse(planned.output().slice(planned.output().indexOf('{')));
    expect(plan.config.vocab_size % 64).toBe(0);
    const out = join(dir, 'vocab');
    const pruned = runBonsai(['prune', sharedModel, out, '--method', 'vocab', '--corpus', corpus], {});
    expect((await pruned.exited).code).toBe(0);
    expect(pruned.output()).toMatch(/tokens 32,000 → [\d,]+ \(/);
    expect(pruned.output()).toMatch(/coverage 100\.00 %/);
    const report = await inspectCheckpoint(out);
    expect(report.parameters.fromTensors.total).toBe(plan.parameters.after.total);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).vocab_size).toBe(plan.config.vocab_size);
  });

  it('attention heads: the flags from the schema, the plan is what prune writes, and a model without grouped queries refuses --unit query-head', async () => {
    const flags = ['--method', 'attention', '--unit', 'query-group', '--num-attention-heads', '4'];
    const planned = runBonsai(['plan', sharedModel, ...flags, '--json'], {});
    expect((await planned.exited).code).toBe(0);
    const plan = JSON.parse(planned.output().slice(planned.output().indexOf('{')));
    expect(plan.config).toMatchObject({ num_attention_heads: 4, num_key_value_heads: 4, head_dim: 32 });
    const out = join(dir, 'heads4');
    const pruned = runBonsai(['prune', sharedModel, out, ...flags], {});
    expect((await pruned.exited).code).toBe(0);
    expect((await inspectCheckpoint(out)).parameters.fromTensors.total).toBe(plan.parameters.after.total);
    const refused = runBonsai(
      ['prune', sharedModel, join(dir, 'qh'), '--method', 'attention', '--unit', 'query-head', '--pruning-fraction', '0.5'],
      {},
    );
    expect((await refused.exited).code).toBe(2);
    expect(refused.output()).toContain('one query head per key/value head');
    expect(existsSync(join(dir, 'qh'))).toBe(false);
  });

  it('hidden channels: the flags from the schema, the plan is what prune writes, and --hidden-size above hidden_size is refused', async () => {
    const flags = ['--method', 'hidden', '--hidden-size', '160'];
    const planned = runBonsai(['plan', sharedModel, ...flags], {});
    expect((await planned.exited).code).toBe(0);
    // The plan says what this method costs the normalisation.
    expect(planned.output()).toContain('changes every layer’s normalisation');
    const json = runBonsai(['plan', sharedModel, ...flags, '--json'], {});
    expect((await json.exited).code).toBe(0);
    const plan = JSON.parse(json.output().slice(json.output().indexOf('{')));
    expect(plan.config).toMatchObject({ hidden_size: 160, head_dim: 32 });
    const out = join(dir, 'hidden160');
    const pruned = runBonsai(['prune', sharedModel, out, ...flags], {});
    expect((await pruned.exited).code).toBe(0);
    const report = await inspectCheckpoint(out);
    expect(report.parameters.fromTensors.total).toBe(plan.parameters.after.total);
    expect(report.parameters.fromTensors.shapeMismatches).toEqual([]);
    const refused = runBonsai(['prune', sharedModel, join(dir, 'h200'), '--method', 'hidden', '--hidden-size', '200'], {});
    expect((await refused.exited).code).toBe(2);
    expect(refused.output()).toContain('must not exceed the current hidden_size 192');
    expect(existsSync(join(dir, 'h200'))).toBe(false);
  });

  it('a parent that is neither a folder nor a reachable registry model says so', async () => {
    const p = runBonsai(['prune', 'nosuch/model', join(dir, 'x'), '--method', 'depth', '--last', '1'], { BONSAI_HOME: '' }, { cwd: dir });
    expect((await p.exited).code).toBe(2);
    expect(p.output()).toContain('IN: nosuch/model is not a folder, and no Bonsai registry here');
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('a calibration file shorter than --samples is refused, naming the flag and both counts, and writes nothing', async () => {
    // "In the beginning" is a handful of tokens; the card would otherwise say 2,048 calibration tokens.
    const short = join(dir, 'short.txt');
    writeFileSync(short, 'In the beginning\n');
    const out = join(dir, 'short-hidden');
    const p = runBonsai(
      ['prune', sharedModel, out, '--method', 'hidden', '--pruning-fraction', '0.2', '--criterion', 'activation', '--calibration', short],
      {},
    );
    expect((await p.exited).code).toBe(2);
    expect(p.output()).toMatch(/--calibration: short\.txt gives \d tokens, fewer than the 2,048 calibration samples asked for/);
    expect(existsSync(out)).toBe(false);
  });

  it('a bad flag names itself and writes nothing', async () => {
    const out = join(dir, 'bad');
    const p = runBonsai(['prune', sharedModel, out, '--method', 'mlp-width', '--pruning-fraction', '1.5'], {});
    expect((await p.exited).code).toBe(2);
    expect(p.output()).toContain('--pruning-fraction 1.5: must be in [0, 1)');
  });

  it('a sparsified folder: inspect, the card and local evaluation results tell the truth', async () => {
    const out = join(dir, 'sparse-2of4');
    const pruned = runBonsai(['prune', sharedModel, out, '--method', 'sparsity', '--pattern', '2:4'], {});
    expect((await pruned.exited).code).toBe(0);
    // The projections, from config.json: q, k, v, o (hidden × hidden; as many kv heads as heads here)
    // and gate, up, down (hidden × intermediate) in every layer; 2:4 zeroes exactly half of them.
    const c = JSON.parse(readFileSync(join(sharedModel, 'config.json'), 'utf8'));
    expect(c.num_key_value_heads).toBe(c.num_attention_heads);
    const target = c.num_hidden_layers * (4 * c.hidden_size * c.hidden_size + 3 * c.hidden_size * c.intermediate_size);
    const inspected = runBonsai(['inspect', out], {});
    expect((await inspected.exited).code).toBe(0);
    expect(inspected.output()).toContain(
      `sparsity       ${(target / 2).toLocaleString('en-US')} of ${target.toLocaleString('en-US')} projection weights non-zero (50.00 % zero; stored dense)`,
    );

    const before = runBonsai(['card', out], {});
    expect((await before.exited).code).toBe(0);
    const card = before.output();
    // No --base-model: no Hub metadata or link pointing at a name nobody gave.
    expect(card).not.toMatch(/^base_model:/m);
    expect(card).not.toContain('](../');
    expect(card).toContain(
      `| Non-zero projection weights | ${(target / 2).toLocaleString('en-US')} of ${target.toLocaleString('en-US')} |`,
    );
    expect(card).toContain('(50.00 % sparse)');
    expect(card).toContain('No evaluation results yet');

    // Results go to Bonsai's data folder, never into the folder evaluated (a user's input).
    const home = { BONSAI_HOME: tempDir('bonsai-eval-home-') };
    const filesBefore = readdirSync(out).sort();
    const evaluated = runBonsai(
      ['eval', out, '--task', 'perplexity', '--data', join(sharedDir, 'data', 'kjv-val.txt'), '--limit', '512', '--json'],
      home,
    );
    expect((await evaluated.exited).code).toBe(0);
    const [ppl] = JSON.parse(evaluated.output().slice(evaluated.output().indexOf('['))) as Array<{ value: number }>;
    expect(readdirSync(out).sort()).toEqual(filesBefore);
    const kept = readdirSync(join(home.BONSAI_HOME, 'eval-results'));
    expect(kept).toHaveLength(1);
    const saved = JSON.parse(readFileSync(join(home.BONSAI_HOME, 'eval-results', kept[0]!), 'utf8')) as {
      results: Array<{ metric: string; value: number }>;
    };
    expect(saved.results.find((r) => r.metric === 'perplexity')?.value).toBe(ppl!.value);
    // --output puts them where the user says; the card reads them back from there.
    const file = join(tempDir('bonsai-eval-out-'), 'results.json');
    const elsewhere = runBonsai(
      ['eval', out, '--task', 'perplexity', '--data', join(sharedDir, 'data', 'kjv-val.txt'), '--limit', '512', '--output', file],
      {},
    );
    expect((await elsewhere.exited).code).toBe(0);
    expect(existsSync(file)).toBe(true);
    const fromFile = runBonsai(['card', out, '--eval-results', file], {});
    expect((await fromFile.exited).code).toBe(0);
    expect(fromFile.output()).toContain(ppl!.value.toFixed(2));
    const after = runBonsai(['card', out, '--base-model', 'bible/tiny-llama-kjv'], home);
    expect((await after.exited).code).toBe(0);
    expect(after.output()).not.toContain('No evaluation results yet');
    expect(after.output()).toContain(ppl!.value.toFixed(2));
    expect(after.output()).toMatch(/^base_model: bible\/tiny-llama-kjv$/m);
  }, 180_000);

  it('OWL from the schema’s flags: --allocation owl allocates each layer’s sparsity, and a bad --owl-m names itself', async () => {
    const calibration = join(sharedDir, 'data', 'kjv-val.txt');
    const flags = ['--method', 'sparsity', '--criterion', 'wanda', '--sparsity', '0.6', '--calibration', calibration, '--samples', '256'];
    const out = join(dir, 'owl60');
    const pruned = runBonsai(['prune', sharedModel, out, ...flags, '--allocation', 'owl', '--owl-lambda', '0.05'], {});
    expect((await pruned.exited).code).toBe(0);
    expect(pruned.output()).toMatch(/OWL per-layer sparsity: (\d+\.\d\d %, ){5}\d+\.\d\d %/);
    const recorded = JSON.parse(readFileSync(join(out, 'bonsai_recipe.json'), 'utf8'));
    const layers = recorded.result.layer_sparsity as number[];
    expect(layers).toHaveLength(6);
    expect(layers.reduce((a, b) => a + b, 0) / 6).toBeCloseTo(0.6, 12);
    // Every layer within ±owl-lambda of the target (OWL's bound, src/pruning/owl.ts), not all equal.
    for (const x of layers) expect(Math.abs(x - 0.6)).toBeLessThanOrEqual(0.05 + 1e-12);
    expect(Math.max(...layers) - Math.min(...layers)).toBeGreaterThan(0.05);
    const refused = runBonsai(['prune', sharedModel, join(dir, 'owl-bad'), ...flags, '--allocation', 'owl', '--owl-m', '0'], {});
    expect((await refused.exited).code).toBe(2);
    expect(refused.output()).toContain('--owl-m 0: must be greater than 0');
    expect(existsSync(join(dir, 'owl-bad'))).toBe(false);
  });
});
