// Vocabulary trimming: the embedding and lm_head rows (and the tokenizer) keep only the tokens a
// corpus uses, counted with the model's own tokenizer (src/vocab/), so corpus text tokenises
// exactly as before. The only method that also applies to encoders and encoder–decoders.
import { basename } from 'node:path';
import { alignPrefix } from '../../arch/registry.js';
import { tokenRowTensors } from '../../arch/tensors.js';
import { DTYPE_BYTES } from '../../formats/safetensors/dtypes.js';
import type { VocabRecipe } from '../../recipes/schema.js';
import { writeTrimmedTokenizer } from '../../vocab/files.js';
import { idMap, rewriteTokenIds } from '../../vocab/rewrite.js';
import { selectVocabulary, type VocabSelection } from '../../vocab/select.js';
import { takeRows } from '../slice.js';
import type { PruningMethod } from './types.js';

export interface VocabPlan {
  method: 'vocab';
  recipe: VocabRecipe;
  /** The tokens kept, once the corpus has been counted. */
  vocab?: VocabSelection;
  /** Before the corpus is counted: the size is decided when it runs. */
  vocabularyChosenByCorpus: boolean;
}

function vocabReport(v: VocabSelection): Record<string, unknown> {
  return {
    tokens_before: v.before,
    tokens_after: v.kept.length,
    tokens_with_all_merges: v.withAllMerges,
    from_corpus: v.fromCorpus,
    padding: v.padding,
    corpus_tokens: v.corpusTokens,
    coverage: v.coverage,
    corpus: v.corpus.map((c) => ({ ...c, file: basename(c.file) })),
  };
}

export const vocab: PruningMethod<'vocab', VocabPlan, VocabSelection> = {
  method: 'vocab',
  relation: 'VOCAB_TRIMMED',
  encoders: true,
  needsCalibration: () => false,

  preparing: "counting the corpus with the model's tokenizer",
  prepare: (dir, config, recipe, onProgress, cacheDir) => selectVocabulary(dir, config, recipe, onProgress, cacheDir),

  plan(ctx, recipe, selection) {
    if (!selection) return { recipe, vocabularyChosenByCorpus: true };
    const { next } = ctx;
    const remapped = rewriteTokenIds(next, idMap(selection.kept), ctx.file);
    for (const key of Object.keys(remapped)) {
      if (key !== 'text_config' && JSON.stringify(remapped[key]) !== JSON.stringify(next[key])) {
        ctx.changes.push({ field: key, from: next[key], to: remapped[key] });
        next[key] = remapped[key];
      }
    }
    // Into the same object: `target` may be this text_config.
    if (remapped.text_config) Object.assign(next.text_config as object, remapped.text_config);
    ctx.set('vocab_size', selection.kept.length);
    return { recipe, vocab: selection, vocabularyChosenByCorpus: false };
  },

  decidedWhenRun: (plan) => plan.vocabularyChosenByCorpus,

  async outputs(ctx, plan) {
    // Rows of the input embedding and of the head (and its bias) in the new id order; tied
    // embeddings have no lm_head tensor, so the one matrix is sliced once.
    if (!plan.vocab) throw new Error('vocabulary trimming needs the counted corpus before writing');
    const kept = plan.vocab.kept;
    const names = ctx.infos.map((t) => t.name);
    const rows = new Set(tokenRowTensors(alignPrefix(plan.arch, names), names));
    const tensors = ctx.infos.map((t) => {
      if (!rows.has(t.name)) return ctx.same(t);
      const cols = t.shape.length > 1 ? t.shape[1]! : 1;
      const shape = t.shape.length > 1 ? [kept.length, cols] : [kept.length];
      return { ...ctx.same(t), shape, transform: (b: Uint8Array) => takeRows(b, cols, DTYPE_BYTES[t.dtype], kept) };
    });
    return { tensors };
  },

  result: (plan) => (plan.vocab ? { vocabulary: vocabReport(plan.vocab) } : {}),

  writeFiles: async (parentDir, outDir, plan) => {
    if (plan.vocab) await writeTrimmedTokenizer(parentDir, outDir, plan.vocab);
  },

  childNameSuffix: (recipe) => `vocab${recipe.vocabSize ?? ''}`,

  hubTag: 'vocabulary-trimming',

  card: (recipe) => ({
    method: 'vocabulary trimming',
    criterion: `corpus frequency ≥ ${recipe.minFrequency ?? 1}${recipe.vocabSize ? `, top ${recipe.vocabSize}` : ''}`,
    ratio: `the tokens of ${Array.isArray(recipe.corpus) ? recipe.corpus.map((f) => String(f).split('/').pop()).join(', ') : 'the corpus'}, rounded to ${recipe.roundTo ?? 64}`,
  }),

  limitations: [
    '- The vocabulary was trimmed to a corpus: text in other languages or domains falls back to byte tokens and loses quality.',
  ],

  summary(plan, format) {
    const int = format.int;
    if (!plan.vocab) return ['the vocabulary size is decided by counting the corpus when the job runs'];
    const v = plan.vocab;
    return [
      `tokens ${int(v.before)} → ${int(v.kept.length)} (${int(v.fromCorpus)} from the corpus, ${int(v.padding)} to round up; the rest special, added, byte tokens and merge-path parts)`,
      `closing the set under every merge that produces a kept token (the previous rule) would keep ${int(v.withAllMerges)}`,
      `corpus ${int(v.corpusTokens)} tokens in ${v.corpus.map((c) => `${c.file} (${int(c.lines)} lines)`).join(', ')}; coverage ${(100 * v.coverage).toFixed(2)} %`,
    ];
  },
};
