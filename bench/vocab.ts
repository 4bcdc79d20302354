// Benchmark of vocabulary trimming (issue 5): token counting over a corpus of several MB with the
// model's tokenizer, and the selection plus rewrite of the 262k-token Gemma-3 tokenizer (33 MB).
// Baselines: counting against the tokenizer's bare encode loop over the same lines (the floor of
// any counter built on it); the rewrite against its 10-second target.
//   npm run bench:vocab
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { readBpe } from '../src/vocab/bpe.js';
import { idMap, rewriteTokenizerConfig, rewriteTokenizerJson } from '../src/vocab/rewrite.js';
import { countCorpus, readTokenizerFiles, selectTokens } from '../src/vocab/select.js';
import { sharedDir, sharedModel } from '../test/fixtures/checkpoints.js';

const tmp = mkdtempSync(join(tmpdir(), 'bonsai-bench-vocab-'));
try {
  // Several MB: the training corpus and both fortune files.
  const corpus = join(tmp, 'corpus.txt');
  writeFileSync(
    corpus,
    ['kjv-train.txt', 'fortunes-es.txt', 'fortunes-de.txt'].map((f) => readFileSync(join(sharedDir, 'data', f), 'utf8')).join('\n'),
  );
  const mb = readFileSync(corpus).byteLength / 1e6;

  const llama = readTokenizerFiles(sharedModel);
  let t = performance.now();
  const counted = countCorpus(llama, [corpus], undefined, 'line');
  const countSeconds = (performance.now() - t) / 1000;
  const tok = new Tokenizer(llama.json, llama.config);
  t = performance.now();
  for (const line of readFileSync(corpus, 'utf8').split('\n')) if (line.trim()) tok.encode(line, { add_special_tokens: false });
  const bareSeconds = (performance.now() - t) / 1000;
  console.log(
    `vocab counting: ${mb.toFixed(1)} MB, ${counted.total.toLocaleString('en-US')} tokens in ${countSeconds.toFixed(2)} s = ` +
      `${Math.round(counted.total / countSeconds).toLocaleString('en-US')} tokens/s; bare encode loop ${bareSeconds.toFixed(2)} s → ratio ${(countSeconds / bareSeconds).toFixed(2)}×`,
  );

  const gemmaDir = join(sharedDir, 'tokenizers', 'gemma3');
  t = performance.now();
  const gemma = readTokenizerFiles(gemmaDir);
  const view = readBpe(gemma.json);
  const loadSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const gemmaCount = countCorpus(gemma, [join(sharedDir, 'data', 'fortunes-de.txt')]);
  const gemmaCountSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  // Gemma-3's config has 262,208 embedding rows (its image tokens sit above the 262,144 text ids).
  const selection = selectTokens(view, gemmaCount, { corpus: [] }, 262_208);
  const map = idMap(selection.kept);
  const json = JSON.stringify(rewriteTokenizerJson(gemma.json, map), null, 2);
  const config = JSON.stringify(rewriteTokenizerConfig(gemma.config, map), null, 2);
  writeFileSync(join(tmp, 'tokenizer.json'), json);
  writeFileSync(join(tmp, 'tokenizer_config.json'), config);
  const rewriteSeconds = (performance.now() - t) / 1000;
  const total = loadSeconds + gemmaCountSeconds + rewriteSeconds;
  console.log(
    `vocab gemma-3 rewrite: ${view.tokens.size.toLocaleString('en-US')} → ${selection.kept.length.toLocaleString('en-US')} tokens; ` +
      `load ${loadSeconds.toFixed(2)} s, count fortunes-de ${gemmaCountSeconds.toFixed(2)} s, select + rewrite ${rewriteSeconds.toFixed(2)} s; ` +
      `total ${total.toFixed(2)} s vs 10 s target → ${(total / 10).toFixed(2)}× ${total <= 10 ? 'PASS' : 'FAIL'}`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
