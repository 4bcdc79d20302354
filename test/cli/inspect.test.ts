import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copySharedModel, sharedModel } from '../fixtures/checkpoints.js';
import { runBonsai } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';

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
    // Decimal units as the Hub and the card write them (issue 32 item 8): the folder's files add up
    // to 19,408,804 bytes (ls -l), and bf16 weights are 2 bytes × 8,800,704 parameters.
    expect(ok.output()).toContain('19.41 MB (19,408,804 bytes');
    expect(ok.output()).toMatch(/bf16\s+17,601,408\s+17\.60 MB/);
    expect(ok.output()).not.toMatch(/[KMGT]iB/);
    const bad = runBonsai(['inspect', '/nonexistent/model'], {});
    expect((await bad.exited).code).toBe(2);
    expect(bad.output()).toContain('/nonexistent/model: not a folder');
  });

  it('a config.json with a key nested 200,000 deep: a clean error naming the file, not a stack overflow', async () => {
    const dir = copySharedModel(join(tempDir('bonsai-inspect-'), 'deep'));
    const config = join(dir, 'config.json');
    const text = readFileSync(config, 'utf8');
    writeFileSync(config, `{"deep": ${'['.repeat(200_000)}${']'.repeat(200_000)}, ${text.slice(text.indexOf('{') + 1)}`);
    const p = runBonsai(['inspect', dir, '--json'], {});
    expect((await p.exited).code).toBe(2);
    expect(p.output()).toContain(`${config}: nested more than 128 levels deep`);
    expect(p.output()).not.toMatch(/RangeError|Maximum call stack|\n\s+at /);
  });
});
