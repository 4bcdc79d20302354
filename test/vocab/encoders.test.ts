// Vocabulary trimming of whole encoder and encoder-decoder checkpoints (random weights, the
// published tokenizers): the child's embeddings and heads are the parent's rows for the kept
// tokens, and on text whose tokens all survive the child's sentence embeddings and masked-LM
// logits equal the parent's (embedding-similarity through both ONNX graphs).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectCheckpoint } from '../../src/arch/inspect.js';
import { evaluateCheckpoint } from '../../src/eval/run.js';
import { CheckpointTensors } from '../../src/formats/checkpoint/tensors.js';
import { prune } from '../../src/pruning/engine.js';
import { parseRecipe } from '../../src/pruning/recipe.js';
import { sharedDir } from '../fixtures/checkpoints.js';
import { buildEncoderCheckpoint, type EncoderFixture } from '../fixtures/encoders.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('encoder-trim-');
const data = (f: string) => join(sharedDir, 'data', f);
const vocabOf = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Array<[string, number]> | Record<string, number> } })
    .model.vocab;

/** Token string of each id, from tokenizer.json as written (Unigram: [piece, score] pairs; WordPiece: piece → id). */
function tokensById(dir: string): string[] {
  const vocab = vocabOf(dir);
  if (Array.isArray(vocab)) return vocab.map(([piece]) => piece);
  const out: string[] = [];
  for (const [piece, id] of Object.entries(vocab)) out[id] = piece;
  return out;
}

async function rowsEqualParent(parent: string, child: string, tensor: string): Promise<void> {
  const parentIds = new Map(tokensById(parent).map((t, i) => [t, i]));
  const childTokens = tokensById(child);
  const p = await CheckpointTensors.open(parent);
  const c = await CheckpointTensors.open(child);
  try {
    const cols = p.info(tensor).shape[1] ?? 1;
    const pw = await p.readFloat32(tensor);
    const cw = await c.readFloat32(tensor);
    expect(c.info(tensor).shape[0]).toBe(JSON.parse(readFileSync(join(child, 'config.json'), 'utf8')).vocab_size);
    let checked = 0;
    childTokens.forEach((token, id) => {
      const from = parentIds.get(token);
      if (from === undefined) return;
      for (let j = 0; j < cols; j++)
        if (cw[id * cols + j] !== pw[from * cols + j]) throw new Error(`${tensor} row ${id} (${token}) differs`);
      checked++;
    });
    expect(checked).toBe(childTokens.length);
  } finally {
    await p.close();
    await c.close();
  }
}

/**
 * The first 2,000 lines of a corpus (a quarter of the file). What this file checks is the
 * checkpoint side of a trim (rows sliced, heads and config remapped, the graphs agreeing), which
 * any real trim exercises whole: every kept row is compared with its parent row, and the logits at
 * every kept id. Tokenising exactly as before on every line of the whole files is
 * test/vocab/tokenizers.test.ts's; counting all of it here made the trims most of this file's time.
 */
function sample(corpus: string): string {
  const file = join(tmp, `sample-${corpus}`);
  const lines = readFileSync(data(corpus), 'utf8').split('\n').slice(0, 2000);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const trim = async (fixture: EncoderFixture, corpus: string) => {
  const parent = join(tmp, `${fixture}-${corpus}`);
  await buildEncoderCheckpoint(fixture, parent, { seed: 3 });
  const child = `${parent}-trimmed`;
  const result = await prune(parent, child, parseRecipe({ method: 'vocab', corpus: [sample(corpus)] }));
  return { parent, child, result };
};

/**
 * 16 lines (one batch): each line's masked-LM logits are compared at every kept id, so one line
 * already covers the whole remapped head; the input rows are checked one by one by rowsEqualParent.
 * The parent's 250k-wide logits made 64 lines a minute of this file on a loaded machine.
 */
const LINES = 16;
/**
 * A trim and two graphs of a 250k-token encoder: 28 s alone on a loaded 2-core machine, over 60 s
 * beside other test files there; the limit leaves that three times over.
 */
const TRIM_AND_EMBED_MS = 180_000;

const similarity = (parent: string, child: string, file: string, limit = LINES) =>
  evaluateCheckpoint(
    child,
    { task: 'embedding-similarity', data: data(file), limit },
    { cacheDir: join(tmp, 'onnx'), threads: 2, parentDir: parent },
  );

const metric = (rs: Array<{ metric: string; value: number }>, m: string) => rs.find((r) => r.metric === m)?.value;

describe('encoders trimmed to a corpus', () => {
  it.each<[EncoderFixture, string]>([
    ['xlm-roberta-mlm', 'fortunes-es.txt'],
    ['bert-mlm', 'fortunes-de.txt'],
  ])(
    '%s to %s: rows sliced once, embeddings cosine ≥ 0.99999 and masked-LM logits within 1e-4 on the corpus',
    async (fixture, corpus) => {
      const { parent, child, result } = await trim(fixture, corpus);
      const report = await inspectCheckpoint(child);
      expect(report.parameters.agree).toBe(true);
      expect(result.parameters).toBe(report.parameters.fromTensors.total);
      expect(result.plan.parameters.after.total).toBe(result.parameters);
      expect(report.arch.vocabSize % 64).toBe(0);
      expect(report.arch.vocabSize).toBeLessThan(fixture === 'bert-mlm' ? 119547 / 3 : 250002 / 8);
      const words = fixture === 'bert-mlm' ? 'bert.embeddings.word_embeddings.weight' : 'roberta.embeddings.word_embeddings.weight';
      await rowsEqualParent(parent, child, words);
      await rowsEqualParent(parent, child, fixture === 'bert-mlm' ? 'cls.predictions.bias' : 'lm_head.bias');

      const onCorpus = await similarity(parent, child, corpus);
      expect(metric(onCorpus, 'identical_tokenization')).toBe(1);
      expect(metric(onCorpus, 'cosine_mean')).toBeGreaterThanOrEqual(0.99999);
      expect(metric(onCorpus, 'cosine_min')).toBeGreaterThanOrEqual(0.99999);
      expect(metric(onCorpus, 'mlm_logits_max_abs_diff')).toBeLessThanOrEqual(1e-4);

      // Text of the other language still encodes; lines whose tokens were removed read differently.
      const other = await similarity(parent, child, corpus === 'fortunes-es.txt' ? 'fortunes-de.txt' : 'fortunes-es.txt');
      expect(metric(other, 'identical_tokenization')).toBeLessThan(1);
      expect(metric(other, 'cosine_min')).toBeLessThan(0.99999);
    },
    TRIM_AND_EMBED_MS,
  );

  it(
    'a sentence-transformers XLM-R keeps its module files, and its trimmed child embeds the corpus as before',
    async () => {
      const { parent, child } = await trim('xlm-roberta-sentence-transformer', 'fortunes-de.txt');
      for (const f of ['modules.json', 'sentence_bert_config.json', '1_Pooling/config.json']) expect(existsSync(join(child, f))).toBe(true);
      const rs = await similarity(parent, child, 'fortunes-de.txt');
      expect(rs[0]?.settings.pooling).toBe('mean');
      expect(metric(rs, 'cosine_min')).toBeGreaterThanOrEqual(0.99999);
      expect(metric(rs, 'mlm_logits_max_abs_diff')).toBeUndefined();
    },
    TRIM_AND_EMBED_MS,
  );

  it('perplexity on an encoder is refused with the task to use instead', async () => {
    const dir = join(tmp, 'refuse');
    await buildEncoderCheckpoint('bert-mlm', dir);
    await expect(
      evaluateCheckpoint(dir, { task: 'perplexity', data: data('fortunes-de.txt') }, { cacheDir: join(tmp, 'onnx'), threads: 1 }),
    ).rejects.toThrow(/task: perplexity needs a causal language model; this is an encoder \(use embedding-similarity\)/);
  });
});

describe('encoder-decoders trimmed to a corpus', () => {
  it.each<[EncoderFixture, string[]]>([
    ['t5', ['shared.weight']],
    ['mt5', ['shared.weight', 'lm_head.weight']],
  ])('%s: the shared embedding (and an untied head) sliced to the kept rows, token ids in config remapped', async (fixture, sliced) => {
    const { parent, child, result } = await trim(fixture, 'fortunes-de.txt');
    for (const t of sliced) await rowsEqualParent(parent, child, t);
    const report = await inspectCheckpoint(child);
    expect(report.parameters.agree).toBe(true);
    expect(result.parameters).toBe(report.parameters.fromTensors.total);
    expect(result.plan.parameters.after.total).toBe(result.parameters);
    const config = JSON.parse(readFileSync(join(child, 'config.json'), 'utf8'));
    const tokens = tokensById(child);
    // <pad> is the decoder's start token and </s> the end in T5's vocabulary.
    expect(tokens[config.decoder_start_token_id]).toBe('<pad>');
    expect(tokens[config.eos_token_id]).toBe('</s>');
    expect(config.vocab_size).toBeLessThan(32128 / 3);
  });
});
