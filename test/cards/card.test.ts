// Cards: published figures (accelerate's estimate-memory, vLLM), Hugging Face's front matter shape, and parameter
// figures equal to the sums over the stored tensors.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { countFromConfig } from '../../src/arch/params.js';
import { parseArchitecture } from '../../src/arch/registry.js';
import { hardwareRequirements, kvCacheBytes } from '../../src/cards/hardware.js';
import type { CardInput } from '../../src/cards/input.js';
import { renderCard } from '../../src/cards/render.js';
import { localCardInput } from '../../src/cli/card.js';
import { planPrune } from '../../src/pruning/plan.js';
import { buildCheckpoint } from '../fixtures/checkpoints.js';
import { gemma2_2b, llama31_8b } from '../fixtures/configs.js';
import { tempDir } from '../helpers/tmp.js';

const gemma = { architectures: ['Gemma2ForCausalLM'], ...gemma2_2b, sliding_window: 4096, max_position_embeddings: 8192 };

function frontMatter(markdown: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(markdown);
  expect(m).not.toBeNull();
  return parse(m![1]!) as Record<string, unknown>;
}

describe('hardware requirements', () => {
  it('Llama-3.1-8B in fp16 needs 128 KiB of KV cache per token (2 × 32 layers × 8 KV heads × 128 × 2 bytes)', () => {
    const arch = parseArchitecture(llama31_8b, 'config.json');
    const h = hardwareRequirements(arch, 8_030_261_248, { contextLength: 1, batchSize: 1, weightDtype: 'fp16', kvDtype: 'fp16' });
    expect(h.kvBytesPerToken).toBe(128 * 1024);
    expect(h.kvCacheBytes).toBe(128 * 1024);
  });

  it('sliding-window layers hold min(context, window) positions (Gemma-2: every other layer, 4096)', () => {
    const arch = parseArchitecture(gemma, 'config.json');
    // 13 global layers at 8192 positions, 13 local ones at 4096; 2 × 4 kv heads × 256 × 2 bytes each.
    expect(kvCacheBytes(arch, 8192, 1, 2)).toBe(2 * 4 * 256 * 2 * (13 * 8192 + 13 * 4096));
    expect(kvCacheBytes(arch, 1024, 3, 2)).toBe(2 * 4 * 256 * 2 * 26 * 1024 * 3);
  });
});

describe('the seed card, computed', () => {
  const parentParams = countFromConfig(parseArchitecture(gemma, 'config.json')).total;
  const plan = planPrune(gemma, { method: 'mlp-width', criterion: 'maw', pruningFraction: 0.4 });
  const input: CardInput = {
    name: 'acme/pruned40-gemma-2-2b',
    license: 'gemma',
    config: plan.config,
    parameterCount: plan.parameters.after.total,
    dtype: 'BF16',
    parents: [
      {
        name: 'google/gemma-2-2b',
        relation: 'WIDTH_PRUNED',
        recipe: plan.recipe as Record<string, unknown>,
        config: gemma,
        parameterCount: parentParams,
      },
    ],
    evaluations: [],
    contextLength: 8192,
  };
  const card = renderCard(input);

  it('Gemma-2-2B: 2,614,341,888 → 1,951,923,456 parameters, −25.34 %, intermediate_size 9216 → 5530', () => {
    expect(parentParams).toBe(2_614_341_888);
    expect(card.markdown).toContain('2,614,341,888 → 1,951,923,456');
    expect(card.markdown).toContain('−25.34 %');
    expect(card.markdown).toMatch(/\| `intermediate_size` \| 9216 \| 5530 \|/);
  });

  it('the parent weighs 5.23 GB in bf16 (2 bytes each, decimal GB)', () => {
    const parentCard = renderCard({ ...input, name: 'google/gemma-2-2b', config: gemma, parameterCount: parentParams, parents: [] });
    expect(parentCard.markdown).toMatch(/\| bf16 \/ fp16 \| 5\.23 GB \|/);
    expect(parentCard.markdown).toContain('1 GB = 10⁹ bytes');
  });

  it('front matter: Hugging Face keys, method tag, no base_model_relation for a relation the Hub does not know', () => {
    const meta = frontMatter(card.markdown);
    expect(meta).toEqual(card.metadata);
    expect(meta).toMatchObject({
      license: 'gemma',
      base_model: 'google/gemma-2-2b',
      library_name: 'transformers',
      pipeline_tag: 'text-generation',
    });
    expect(meta.tags).toEqual(['bonsai', 'width-pruning']);
    expect(meta).not.toHaveProperty('base_model_relation');
    expect(meta).not.toHaveProperty('model-index');
    expect(card.markdown).toContain('No evaluation results yet');
    expect(card.markdown).not.toContain('| task | dataset |');
    expect(card.markdown).toContain(
      'bonsai prune google/gemma-2-2b pruned40-gemma-2-2b --method mlp-width --criterion maw --pruning-fraction 0.4',
    );
    expect(card.markdown).toContain('recovery fine-tuning');
  });

  it('a fine-tune with evaluations: base_model_relation finetune, model-index in the Hub’s shape, deltas in the findings', () => {
    const settings = { contextLength: 256, stride: 128 };
    const c = renderCard({
      ...input,
      parents: [
        {
          ...input.parents[0]!,
          relation: 'FINETUNED',
          recipe: { method: 'external' },
          evaluations: [{ task: 'perplexity', metric: 'perplexity', value: 10, dataset: 'kjv-val.txt', settings }],
        },
      ],
      evaluations: [{ task: 'perplexity', metric: 'perplexity', value: 12.5, dataset: 'kjv-val.txt', settings }],
    });
    const meta = frontMatter(c.markdown);
    expect(meta.base_model_relation).toBe('finetune');
    expect(meta['model-index']).toEqual([
      {
        name: 'acme/pruned40-gemma-2-2b',
        results: [
          {
            task: { type: 'text-generation', name: 'perplexity' },
            dataset: { name: 'kjv-val.txt', type: 'kjv-val.txt' },
            metrics: [{ type: 'perplexity', value: 12.5, name: 'perplexity perplexity' }],
          },
        ],
      },
    ]);
    expect(c.markdown).toContain('10.0000 → 12.5000 (+25.00 %, worse');
  });

  it('a per-token metric of a child with another tokenizer is "not comparable: a different tokenizer", as in the catalog', () => {
    const settings = { contextLength: 256, stride: 128, tokens: 900 };
    const card = (sameTokenizer: boolean) =>
      renderCard({
        ...input,
        parents: [
          {
            ...input.parents[0]!,
            relation: 'VOCAB_TRIMMED',
            recipe: { method: 'vocab' },
            sameTokenizer,
            evaluations: [{ task: 'perplexity', metric: 'perplexity', value: 127.57, dataset: 'kjv-val.txt', settings }],
          },
        ],
        evaluations: [
          { task: 'perplexity', metric: 'perplexity', value: 126.28, dataset: 'kjv-val.txt', settings: { ...settings, tokens: 880 } },
        ],
      }).markdown;
    const findings = (md: string) => md.slice(md.indexOf('## Key findings'), md.indexOf('\n## ', md.indexOf('## Key findings') + 1));
    // The catalog's wording (src/eval/comparable.ts), and no delta a reader could take for a gain.
    expect(findings(card(false))).toContain('not comparable with google/gemma-2-2b: a different tokenizer');
    expect(findings(card(false))).not.toContain('→ 126.28');
    // The same tokenizer: the change is stated (the token count is not a setting that must match).
    expect(findings(card(true))).toContain('127.5700 → 126.2800 (−1.01 %, better or equal');
  });
});

describe('bonsai card on a local folder', () => {
  it('parameters and bytes equal the sums over the stored tensors', async () => {
    const dir = join(tempDir(), 'ckpt');
    await buildCheckpoint('qwen3', dir);
    // Independent count: the safetensors header read by hand.
    const fd = openSync(join(dir, 'model.safetensors'), 'r');
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const header = Buffer.alloc(Number(len.readBigUInt64LE()));
    readSync(fd, header, 0, header.length, 8);
    closeSync(fd);
    const tensors = Object.entries(JSON.parse(header.toString()) as Record<string, { shape: number[] }>).filter(
      ([k]) => k !== '__metadata__',
    );
    const total = tensors.reduce((a, [, t]) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    const input = await localCardInput(dir, {});
    expect(input.parameterCount).toBe(total);
    const card = renderCard(input);
    expect(card.markdown).toContain(`| Parameters | ${total.toLocaleString('en-US')} (`);
    expect(card.markdown).toContain(`parameters (${total.toLocaleString('en-US')}) × bytes per parameter`);
  });
});
