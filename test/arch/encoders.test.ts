// Encoder (BERT, XLM-R) and encoder-decoder (T5, mT5) families: parameter counts of the published
// configurations against the counts transformers reports for them, and random checkpoints written
// with transformers' tensor names (test/fixtures/encoders.ts) read back exactly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectCheckpoint } from '../../src/arch/inspect.js';
import { countFromConfig } from '../../src/arch/params.js';
import { parseArchitecture } from '../../src/arch/registry.js';
import { planPrune } from '../../src/pruning/plan.js';
import { parseRecipe } from '../../src/pruning/recipe.js';
import { sharedDir } from '../fixtures/checkpoints.js';
import { mbertCased, mt5Small } from '../fixtures/configs.js';
import { buildEncoderCheckpoint, type EncoderFixture } from '../fixtures/encoders.js';
import { tempDir } from '../helpers/tmp.js';

const xlmrConfig = JSON.parse(readFileSync(join(sharedDir, 'tokenizers', 'xlm-roberta', 'config.json'), 'utf8'));
const t5SmallConfig = JSON.parse(readFileSync(join(sharedDir, 'tokenizers', 't5-small', 'config.json'), 'utf8'));
describe('published configurations', () => {
  // model.num_parameters() in transformers for each class; the bare *Model includes the pooler.
  it.each([
    ['xlm-roberta-base, XLMRobertaModel', { ...xlmrConfig, architectures: ['XLMRobertaModel'] }, 278_043_648],
    ['xlm-roberta-base, XLMRobertaForMaskedLM (tied decoder)', xlmrConfig, 278_295_186],
    ['bert-base-multilingual-cased, BertModel', { ...mbertCased, architectures: ['BertModel'] }, 177_853_440],
    ['t5-small, T5ForConditionalGeneration (tied head)', t5SmallConfig, 60_506_624],
    ['mt5-small, MT5ForConditionalGeneration (untied head)', mt5Small, 300_176_768],
  ])('%s has the parameter count transformers reports', (_name, config, expected) => {
    expect(countFromConfig(parseArchitecture(config, 'config.json')).total).toBe(expected);
  });

  it('width, depth and sparsity are refused for encoders with the reason; vocabulary trimming is planned', () => {
    expect(() => planPrune(xlmrConfig, parseRecipe({ method: 'mlp-width', pruningFraction: 0.2 }))).toThrow(
      /recipe\.method: mlp-width pruning is not supported for xlm-roberta \(an encoder\); only vocabulary trimming \(vocab\) is/,
    );
    expect(() => planPrune(t5SmallConfig, parseRecipe({ method: 'depth', last: 1 }))).toThrow(
      /not supported for t5 \(an encoder-decoder\)/,
    );
    const plan = planPrune(xlmrConfig, parseRecipe({ method: 'vocab', corpus: ['x.txt'] }));
    expect(plan.method).toBe('vocab');
  });

  it('an encoder keeps no KV cache; a T5 decoder keeps self- and cross-attention caches', () => {
    expect(parseArchitecture(xlmrConfig, 'config.json').layerTypes).toHaveLength(0);
    expect(parseArchitecture(t5SmallConfig, 'config.json').layerTypes).toHaveLength(12);
  });
});

describe('random checkpoints with transformers tensor names', () => {
  const tmp = tempDir('encoders-');

  it.each<[EncoderFixture, string, string]>([
    ['bert-mlm', 'BertForMaskedLM', 'bert'],
    ['xlm-roberta-mlm', 'XLMRobertaForMaskedLM', 'xlm-roberta'],
    ['xlm-roberta-sentence-transformer', 'XLMRobertaModel', 'xlm-roberta'],
    ['t5', 'T5ForConditionalGeneration', 't5'],
    ['mt5', 'MT5ForConditionalGeneration', 'mt5'],
  ])('%s: inspect reads every tensor, and both counts equal the fixture', async (fixture, architecture, family) => {
    const dir = join(tmp, fixture);
    const built = await buildEncoderCheckpoint(fixture, dir);
    const report = await inspectCheckpoint(dir);
    expect(report.architecture).toBe(architecture);
    expect(report.arch.family).toBe(family);
    expect(report.parameters.fromTensors.missing).toEqual([]);
    expect(report.parameters.fromTensors.unexpected).toEqual([]);
    expect(report.parameters.fromTensors.shapeMismatches).toEqual([]);
    expect(report.parameters.agree).toBe(true);
    expect(report.parameters.fromTensors.total).toBe(built.parameters);
    expect(report.parameters.fromConfig.total).toBe(built.parameters);
  });
});
