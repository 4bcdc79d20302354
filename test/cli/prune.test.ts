import { readFileSync } from 'node:fs';
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

  it('a bad flag names itself and writes nothing', async () => {
    const out = join(dir, 'bad');
    const p = runBonsai(['prune', sharedModel, out, '--method', 'mlp-width', '--pruning-fraction', '1.5'], {});
    expect((await p.exited).code).toBe(2);
    expect(p.output()).toContain('recipe.pruningFraction: must be in [0, 1)');
  });
});
