// Vocabulary trimming of the encoder families the trimming seed reduced most (issue 18): `plan` on
// the published configurations of XLM-R base, multilingual BERT and t5-small with their published
// tokenizers, trimmed to each shared corpus, beside the seed's yardsticks; and the time to count,
// select and rewrite XLM-R's 250,002-token tokenizer, against the bare encode loop over the same
// lines (the floor of any counter built on the tokenizer).
//   npm run bench:encoders
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { countFromConfig } from '../src/arch/params.js';
import { parseArchitecture } from '../src/arch/registry.js';
import { planPrune } from '../src/pruning/plan.js';
import { parseRecipe } from '../src/pruning/recipe.js';
import { writeTrimmedTokenizer } from '../src/vocab/files.js';
import { selectVocabulary } from '../src/vocab/select.js';
import { sharedDir } from '../test/fixtures/checkpoints.js';
import { mbertCased, mt5Small } from '../test/fixtures/configs.js';

const tmp = mkdtempSync(join(tmpdir(), 'bonsai-bench-encoders-'));
const tokenizers = join(sharedDir, 'tokenizers');
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;

/** A folder with the published config and tokenizer: all `plan` reads (no weights). */
function folder(name: string, config: Record<string, unknown>, tokenizer: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  cpSync(join(tokenizers, tokenizer), dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

const xlmr = readJson(join(tokenizers, 'xlm-roberta', 'config.json'));
const models: Array<[string, string]> = [
  ['xlm-roberta-base (XLMRobertaForMaskedLM)', folder('xlmr-mlm', xlmr, 'xlm-roberta')],
  [
    'xlm-roberta-base as a sentence encoder (XLMRobertaModel)',
    folder('xlmr', { ...xlmr, architectures: ['XLMRobertaModel'] }, 'xlm-roberta'),
  ],
  ['bert-base-multilingual-cased (BertForMaskedLM)', folder('mbert', mbertCased, 'mbert')],
  ['t5-small (T5ForConditionalGeneration)', folder('t5-small', readJson(join(tokenizers, 't5-small', 'config.json')), 't5-small')],
];
const corpora = ['kjv-train.txt', 'fortunes-de.txt', 'fortunes-es.txt'];
const fmt = (n: number) => n.toLocaleString('en-US');

try {
  console.log('| model | corpus | vocabulary | parameters | change | plan time |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const [name, dir] of models) {
    const config = readJson(join(dir, 'config.json'));
    for (const corpus of corpora) {
      const recipe = parseRecipe({ method: 'vocab', corpus: [join(sharedDir, 'data', corpus)] });
      if (recipe.method !== 'vocab') throw new Error('unreachable');
      const t = performance.now();
      const vocab = selectVocabulary(dir, config, recipe);
      const plan = planPrune(config, recipe, join(dir, 'config.json'), vocab);
      const seconds = (performance.now() - t) / 1000;
      const p = plan.parameters;
      console.log(
        `| ${name} | ${corpus} | ${fmt(Number(config.vocab_size))} → ${fmt(vocab.kept.length)} | ${fmt(p.before.total)} → ${fmt(p.after.total)} | ${plan.changePercent.toFixed(2)} % | ${seconds.toFixed(2)} s |`,
      );
    }
  }
  const mt5 = countFromConfig(parseArchitecture(mt5Small, 'config.json'));
  console.log(
    `mt5-small: ${fmt(mt5.total)} parameters, of which ${fmt(mt5.byComponent.embedding + mt5.byComponent.lm_head)} (${((100 * (mt5.byComponent.embedding + mt5.byComponent.lm_head)) / mt5.total).toFixed(1)} %) are the 250,112-row shared embedding and untied head; its SentencePiece vocabulary is not among the shared tokenizers, so no trimmed figure`,
  );
  console.log(
    'yardsticks (trimming seed): Qwen3-0.6B at 32,768 tokens −32.47 %; Gemma-3-270m −54.76 %; MetaCLIP-2 389.7 M → 49.7 M (−87.24 %)',
  );

  // XLM-R's 250k tokenizer end to end: count fortunes-de, select, rewrite and write the files.
  const dir = models[0]![1];
  const corpus = join(sharedDir, 'data', 'fortunes-de.txt');
  const recipe = parseRecipe({ method: 'vocab', corpus: [corpus] });
  if (recipe.method !== 'vocab') throw new Error('unreachable');
  let t = performance.now();
  const vocab = selectVocabulary(dir, xlmr, recipe);
  const countSeconds = (performance.now() - t) / 1000;
  const out = join(tmp, 'out');
  mkdirSync(out);
  t = performance.now();
  await writeTrimmedTokenizer(dir, out, vocab);
  const rewriteSeconds = (performance.now() - t) / 1000;
  const tok = new Tokenizer(readJson(join(dir, 'tokenizer.json')), readJson(join(dir, 'tokenizer_config.json')));
  t = performance.now();
  for (const line of readFileSync(corpus, 'utf8').split('\n')) if (line.trim()) tok.encode(line, { add_special_tokens: false });
  const bareSeconds = (performance.now() - t) / 1000;
  console.log(
    `xlm-roberta 250,002-token tokenizer, fortunes-de: load + count + select ${countSeconds.toFixed(2)} s, rewrite + write ${rewriteSeconds.toFixed(2)} s; ` +
      `bare encode loop ${bareSeconds.toFixed(2)} s → ratio ${((countSeconds + rewriteSeconds) / bareSeconds).toFixed(2)}×`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
