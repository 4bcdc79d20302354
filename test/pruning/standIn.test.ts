// Depth pruning with a linear stand-in (ReplaceMe): the map folded into the down_proj before a
// removed span. Checked here from the outside, through the exported graphs' activation taps:
//  - on the calibration tokens, the child's residual stream where the span was is closer to the
//    parent's output of the span than plain removal leaves it (the ridge pulls toward the identity,
//    which is plain removal, so it cannot be farther);
//  - a span that does nothing (its o_proj and down_proj zero) gets the identity: the child is
//    byte for byte the one plain removal writes, and the held-out check records a tie (not applied);
//  - what cannot carry a stand-in is refused, naming the field.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { calibrationTokens } from '../../src/calibration/tokens.js';
import { renderCard } from '../../src/cards/render.js';
import { localCardInput } from '../../src/cli/card.js';
import { BadInputError } from '../../src/errors.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { LmSession } from '../../src/onnx/session.js';
import { resolveRecipe } from '../../src/pruning/calibrate.js';
import { prune } from '../../src/pruning/engine.js';
import { planPrune } from '../../src/pruning/plan.js';
import { parseRecipe, type Recipe } from '../../src/pruning/recipe.js';
import { fixtureConfig, sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { gemma2_2b } from '../fixtures/configs.js';
import { rewriteCheckpoint, tensorBytes } from '../helpers/rewrite.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('stand-in-');
const calibration = join(sharedDir, 'data', 'kjv-train.txt');
const SAMPLES = 512;

/** Prunes `parent` by `recipe` as the CLI does: calibration first, then the engine. */
async function pruneWith(parent: string, out: string, recipe: Record<string, unknown>) {
  const resolved = await resolveRecipe(parent, parseRecipe(recipe), { cacheDir: join(tmp, 'onnx'), threads: 2, tmp: `${out}-calibration` });
  await prune(parent, out, resolved.recipe as Recipe, { weights: resolved.weights, reconstruction: resolved.reconstruction });
  return out;
}

/** The named activation taps of the model in `dir` over the tokens, in windows of 256 (rows concatenated). */
async function taps(dir: string, names: string[], tokens: number[]): Promise<Map<string, Float32Array>> {
  const { modelPath } = await exportOnnx(dir, `${dir}-graph`, { activations: true, outputs: [] });
  const session = await LmSession.open(modelPath, { threads: 2 });
  const parts = new Map<string, Float32Array[]>(names.map((n) => [n, []]));
  try {
    for (let s = 0; s < tokens.length; s += 256) {
      const run = await session.run([tokens.slice(s, s + 256)], names);
      for (const n of names) parts.get(n)!.push(run[n]!.data as Float32Array);
    }
  } finally {
    await session.release();
  }
  return new Map([...parts].map(([n, p]) => [n, Float32Array.from(p.flatMap((x) => [...x]))]));
}

const squaredDistance = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);

describe('depth pruning with a linear stand-in', () => {
  let tokens: number[];
  beforeAll(() => {
    const config = JSON.parse(readFileSync(join(sharedModel, 'config.json'), 'utf8'));
    tokens = calibrationTokens(sharedModel, config, calibration, SAMPLES);
  });

  it('brings the residual stream closer to the removed span’s output than plain removal does', async () => {
    const request = { method: 'depth', layers: [2, 4], calibration, samples: SAMPLES };
    const standIn = await pruneWith(sharedModel, join(tmp, 'linear'), { ...request, reconstruct: 'linear' });
    const plain = await pruneWith(sharedModel, join(tmp, 'plain'), { method: 'depth', layers: [2, 4] });
    // Span [2, 3): its output is the parent's hidden_out_2; in both children block 1 comes right
    // before the gap, and in plain removal its output is the parent's hidden_out_1 unchanged.
    const parent = await taps(sharedModel, ['hidden_out_1', 'hidden_out_2'], tokens);
    const target = parent.get('hidden_out_2')!;
    const withMap = (await taps(standIn, ['hidden_out_1'], tokens)).get('hidden_out_1')!;
    const without = (await taps(plain, ['hidden_out_1'], tokens)).get('hidden_out_1')!;
    expect(without).toEqual(parent.get('hidden_out_1'));
    const errMap = squaredDistance(withMap, target);
    const errPlain = squaredDistance(without, target);
    expect(errMap).toBeLessThan(errPlain);
    // Only the two down_proj before the spans differ from plain removal's child.
    const a = await tensorBytes(standIn);
    const b = await tensorBytes(plain);
    // (Both spans lower the held-out error on King James text: test/pruning/heldOut.test.ts checks the
    // decision itself, and the spans that do not take their map.)
    const changed = [...a.keys()].filter((n) => !a.get(n)!.equals(b.get(n)!));
    expect(changed.sort()).toEqual(['model.layers.1.mlp.down_proj.weight', 'model.layers.2.mlp.down_proj.weight']);
    const recipe = JSON.parse(readFileSync(join(standIn, 'bonsai_recipe.json'), 'utf8'));
    expect(recipe.recipe).toMatchObject({ reconstruct: 'linear', dampening: 0.01, samples: SAMPLES, calibration: 'kjv-train.txt' });
    // The card names the method, cites it and says the result is a standard checkpoint.
    const card = renderCard(await localCardInput(standIn, {})).markdown;
    expect(card).toMatch(/ReplaceMe, Shopkhoev et al\. 2025, arXiv:2505\.02819/);
    expect(card).toContain('standard checkpoint with fewer blocks');
  }, 180_000);

  it('gives a span that does nothing the identity: the same bytes as plain removal', async () => {
    // Block 3 with zero o_proj and down_proj adds nothing to the residual stream.
    const idle = join(tmp, 'idle-block');
    await rewriteCheckpoint(sharedModel, idle, (name, values) => {
      if (/layers\.3\.(self_attn\.o_proj|mlp\.down_proj)\.weight$/.test(name)) values.fill(0);
    });
    const standIn = await pruneWith(idle, join(tmp, 'idle-linear'), {
      method: 'depth',
      layers: [3],
      reconstruct: 'linear',
      calibration,
      samples: SAMPLES,
    });
    const plain = await pruneWith(idle, join(tmp, 'idle-plain'), { method: 'depth', layers: [3] });
    const a = await tensorBytes(standIn);
    const b = await tensorBytes(plain);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [name, bytes] of a) expect(bytes.equals(b.get(name)!), name).toBe(true);
    // The identity changes nothing, so the held-out check records a tie and keeps plain removal.
    const [decision] = JSON.parse(readFileSync(join(standIn, 'bonsai_recipe.json'), 'utf8')).result.reconstruction.layers;
    expect(decision).toMatchObject({ layer: 2, removed: [3], applied: false });
    expect(decision.held_out_error_after).toBe(decision.held_out_error_before);
  }, 180_000);

  it('refuses what cannot carry a stand-in, naming the field', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(BadInputError);
        return (e as BadInputError).details.field;
      }
      return 'accepted';
    };
    const linear = (extra: Record<string, unknown>) => parseRecipe({ method: 'depth', reconstruct: 'linear', calibration, ...extra });
    expect(field(() => parseRecipe({ method: 'depth', layers: [2], reconstruct: 'linear' }))).toBe('recipe.calibration');
    expect(field(() => parseRecipe({ method: 'depth', layers: [2], dampening: 0.1 }))).toBe('recipe.dampening');
    expect(field(() => parseRecipe({ method: 'depth', layers: [2], calibration }))).toBe('recipe.calibration');
    expect(field(() => planPrune(fixtureConfig('llama'), linear({ layers: [0, 1] })))).toBe('recipe.layers');
    expect(field(() => planPrune({ ...gemma2_2b, architectures: ['Gemma2ForCausalLM'] }, linear({ layers: [3] })))).toBe(
      'recipe.reconstruct',
    );
    expect(field(() => planPrune(fixtureConfig('llama'), linear({ layers: [1] })))).toBe('accepted');
  });
});
