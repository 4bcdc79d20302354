import { describe, expect, it } from 'vitest';
import { sharedModel } from '../fixtures/checkpoints.js';
import { runBonsai } from '../helpers/bonsai.js';

describe('bonsai inspect', () => {
  it('prints the shared model as JSON with 8,800,704 parameters', async () => {
    const p = runBonsai(['inspect', sharedModel, '--json'], {});
    const { code } = await p.exited;
    expect(code).toBe(0);
    const report = JSON.parse(p.output().slice(p.output().indexOf('{')));
    expect(report.architecture).toBe('LlamaForCausalLM');
    expect(report.parameters.fromTensors.total).toBe(8_800_704);
    expect(report.tensorCount).toBe(56);
    expect(report.weightMemory).toEqual({ fp32: 35_202_816, bf16: 17_601_408, fp16: 17_601_408, int8: 8_800_704, int4: 4_400_352 });
  });

  it('prints a table for people and fails clearly on a folder that is not a checkpoint', async () => {
    const ok = runBonsai(['inspect', sharedModel], {});
    expect((await ok.exited).code).toBe(0);
    expect(ok.output()).toMatch(/total\s+8,800,704\s+8,800,704/);
    const bad = runBonsai(['inspect', '/nonexistent/model'], {});
    expect((await bad.exited).code).toBe(2);
    expect(bad.output()).toContain('/nonexistent/model: not a folder');
  });
});
