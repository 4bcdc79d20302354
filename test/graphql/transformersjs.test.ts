// transformers.js (@huggingface/transformers) against a running Bonsai, as its users point it at
// any Hub: env.remoteHost = the server, the Hub's `{model}/resolve/{revision}/` path, no local
// models and an empty cache of its own. The model is the shared checkpoint, exported to ONNX through the API's
// exportOnnx job; transformers.js finds the graph at onnx/model.onnx and its weights at
// onnx/model.onnx_data (`use_external_data_format: true`, the from_pretrained option its
// models/session.js reads), the tokenizer at tokenizer.json and tokenizer_config.json. Its
// logits must be reference.json's (PyTorch) and those of Bonsai's own evaluation graph.
// Not tested, because it does not hold: generate() past the first new token. transformers.js
// feeds a decoder only the new token after the first step (_update_model_kwargs_for_generation),
// counting on past_key_values inputs the portable graph does not have.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, type PreTrainedModel, Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/eval/tokenizer.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { LmSession } from '../../src/onnx/session.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

/** reference.json's probe against a float32 graph (as test/onnx/export.test.ts). */
const PROBE_TOLERANCE = 1e-3;
/** The portable graph (plain operators) against the fused evaluation graph (test/onnx/export.test.ts). */
const GRAPH_TOLERANCE = 1e-4;
const REPO = 'bible/tiny-llama-kjv';
const PROMPT = 'In the beginning God created the heaven and the earth.';

let api: TestApi;
let model: PreTrainedModel;

beforeAll(async () => {
  api = await startTestApi({ modelRoots: [dirname(sharedModel)] });
  await api.startRunner([dirname(sharedModel)]);
  await api.register(sharedModel, REPO);
  const r = await api.gql<{ exportOnnx: { id: string } }>(`mutation($m: String!) { exportOnnx(model: $m) { id } }`, { m: REPO });
  expect(r.errors).toBeUndefined();
  const job = await waitFor(
    'the export',
    async () => {
      const j = (
        await api.gql<{ job: { status: string; error: string | null } }>(`query($id: ID!) { job(id: $id) { status error } }`, {
          id: r.data!.exportOnnx.id,
        })
      ).data!.job;
      return j.status === 'SUCCEEDED' || j.status === 'FAILED' ? j : undefined;
    },
    120_000,
    200,
  );
  expect(job).toEqual({ status: 'SUCCEEDED', error: null });
  env.remoteHost = `${api.server.url}/`;
  env.remotePathTemplate = '{model}/resolve/{revision}/';
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.useBrowserCache = false;
  // In Node, transformers.js hands onnxruntime the graph and its external data by file path, which
  // only its file cache provides (loadResourceFile: 'Unable to get model file path or buffer'
  // without it): a cache folder of this test's own, empty at the start and removed at the end.
  env.useFSCache = true;
  env.cacheDir = tempDir('bonsai-tjs-cache-');
}, 180_000);
afterAll(async () => {
  await model?.dispose();
  await api?.close();
});

const ids = (values: number[]) => new Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);

describe('transformers.js loads a model from Bonsai', () => {
  it('AutoModelForCausalLM: the probe’s logits are reference.json’s', async () => {
    model = await AutoModelForCausalLM.from_pretrained(REPO, { dtype: 'fp32', device: 'cpu', use_external_data_format: true });
    const ref = JSON.parse(readFileSync(join(sharedModel, 'reference.json'), 'utf8')) as {
      probe: { input_ids: number[]; logits_first5_each_position: number[][]; argmax_each_position: number[] };
    };
    const { logits } = (await model({ input_ids: ids(ref.probe.input_ids) })) as { logits: Tensor };
    expect(logits.dims).toEqual([1, ref.probe.input_ids.length, 32000]);
    const data = logits.data as Float32Array;
    const V = logits.dims[2]!;
    let worst = 0;
    ref.probe.logits_first5_each_position.forEach((row, p) => {
      row.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(data[p * V + i]! - v));
      });
    });
    expect(worst).toBeLessThan(PROBE_TOLERANCE);
    const argmax = ref.probe.input_ids.map((_, p) => {
      const row = data.subarray(p * V, (p + 1) * V);
      return row.indexOf(Math.max(...row));
    });
    expect(argmax).toEqual(ref.probe.argmax_each_position);
  }, 60_000);

  it('AutoTokenizer encodes a prompt as Bonsai does, and the next-token logits equal Bonsai’s evaluation graph', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(REPO);
    const encoded = tokenizer(PROMPT) as { input_ids: Tensor };
    const fromHub = Array.from(encoded.input_ids.data as BigInt64Array, Number);
    // Bonsai's tokenizer (evaluation's, @huggingface/tokenizers) with the BOS the Llama tokenizer adds.
    const config = JSON.parse(readFileSync(join(sharedModel, 'config.json'), 'utf8')) as Record<string, unknown>;
    const own = loadTokenizer(sharedModel, config);
    expect(fromHub).toEqual([own.bos, ...own.encode(PROMPT)]);

    const { logits } = (await model({ input_ids: encoded.input_ids })) as { logits: Tensor };
    const V = logits.dims[2]!;
    const last = (logits.data as Float32Array).subarray((fromHub.length - 1) * V);
    const { modelPath } = await exportOnnx(sharedModel, join(tempDir('bonsai-tjs-'), 'fused'), { outputs: ['logits'] });
    const session = await LmSession.open(modelPath, { threads: 2 });
    try {
      const out = await session.run([fromHub], ['logits']);
      const expected = (out.logits!.data as Float32Array).subarray((fromHub.length - 1) * V);
      let worst = 0;
      for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(last[i]! - expected[i]!));
      expect(worst).toBeLessThan(GRAPH_TOLERANCE);
      expect(last.indexOf(Math.max(...last))).toBe(expected.indexOf(Math.max(...expected)));
    } finally {
      await session.release();
    }
  }, 60_000);
});
