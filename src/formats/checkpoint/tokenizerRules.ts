// Is a checkpoint's tokenizer usable? Checked at registration, so a model whose tokenizer cannot
// be loaded is refused with the reason instead of failing at its first evaluation. The rules are
// those the tokenizer libraries apply when they load a file (huggingface/tokenizers: a BPE merge
// must join two tokens of the vocabulary into a third, `BpeBuilder::build`; a Unigram `unk_id`
// must index the vocabulary) and the ones the model needs: every id the tokenizer can produce,
// and every special token the config names, must be a row of the embedding (`vocab_size`).
// Loading and encoding go through @huggingface/tokenizers, the library evaluation uses; the rules
// it does not apply itself (Unigram pieces, WordPiece, Metaspace, the precompiled charsmap) are in
// tokenizerModelRules.ts.
import { Tokenizer } from '@huggingface/tokenizers';
import { tokenizerModelProblem } from './tokenizerModelRules.js';

export interface TokenizerFiles {
  /** tokenizer.json, parsed. */
  tokenizer: unknown;
  /** tokenizer_config.json, parsed, when the checkpoint has one. */
  tokenizerConfig?: unknown;
  /** The model's config.json. */
  config: Record<string, unknown>;
}

/** Text that exercises the normalizer, pre-tokenizer, byte fallback and decoder. */
const PROBE = 'In the beginning God created the heaven and the earth. Ça coûte 3,50 € — 東京 🌳\n\ttabs  and  spaces';

const MODEL_TYPES = ['BPE', 'Unigram', 'WordPiece', 'WordLevel'];

type Problem = { file: 'tokenizer.json' | 'tokenizer_config.json' | 'config.json'; problem: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function vocabularyProblems(model: Record<string, unknown>, rows: number): Problem | null {
  const vocab = model.vocab;
  if (Array.isArray(vocab)) {
    // Unigram: [piece, score] pairs, the id being the position.
    for (const [i, entry] of vocab.entries()) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number' || !Number.isFinite(entry[1])) {
        return { file: 'tokenizer.json', problem: `model.vocab[${i}] must be a [piece, score] pair` };
      }
    }
    if (vocab.length > rows) return { file: 'tokenizer.json', problem: `${vocab.length} pieces, but the model has ${rows} embedding rows` };
    if (model.unk_id !== undefined && model.unk_id !== null && !(isId(model.unk_id) && model.unk_id < vocab.length)) {
      return { file: 'tokenizer.json', problem: `model.unk_id ${JSON.stringify(model.unk_id)} is not an index of model.vocab` };
    }
    return null;
  }
  if (!isObject(vocab)) return { file: 'tokenizer.json', problem: 'model.vocab must be an object of token ids or a list of pieces' };
  const seen = new Map<number, string>();
  for (const [token, id] of Object.entries(vocab)) {
    if (!isId(id)) return { file: 'tokenizer.json', problem: `model.vocab[${JSON.stringify(token)}] must be a non-negative integer id` };
    if (id >= rows)
      return { file: 'tokenizer.json', problem: `token ${JSON.stringify(token)} has id ${id}, but the model has ${rows} embedding rows` };
    const other = seen.get(id);
    if (other !== undefined)
      return { file: 'tokenizer.json', problem: `tokens ${JSON.stringify(other)} and ${JSON.stringify(token)} share id ${id}` };
    seen.set(id, token);
  }
  if (Array.isArray(model.merges)) {
    for (const [i, merge] of model.merges.entries()) {
      const pair = typeof merge === 'string' ? merge.split(' ') : merge;
      if (!Array.isArray(pair) || pair.length !== 2 || pair.some((p) => typeof p !== 'string')) {
        return { file: 'tokenizer.json', problem: `model.merges[${i}] must be "a b" or ["a", "b"]` };
      }
      const [a, b] = pair as [string, string];
      for (const token of [a, b, a + b]) {
        if (!Object.hasOwn(vocab, token))
          return { file: 'tokenizer.json', problem: `model.merges[${i}] uses ${JSON.stringify(token)}, which is not in model.vocab` };
      }
    }
  }
  return null;
}

function specialTokenName(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  return null;
}

/** The first reason the tokenizer cannot serve this model, or null when it can. */
export function tokenizerProblem(files: TokenizerFiles): Problem | null {
  const { tokenizer, config } = files;
  const rows = typeof config.vocab_size === 'number' ? config.vocab_size : Number.POSITIVE_INFINITY;
  if (!isObject(tokenizer)) return { file: 'tokenizer.json', problem: 'must be a JSON object' };
  if (!isObject(tokenizer.model)) return { file: 'tokenizer.json', problem: 'model must be an object' };
  // The Rust library reads `model` as a tagged enum (older files without the tag are inferred).
  const type = tokenizer.model.type;
  if (type !== undefined && !MODEL_TYPES.includes(type as string)) {
    return { file: 'tokenizer.json', problem: `model.type ${JSON.stringify(type)} is not one of ${MODEL_TYPES.join(', ')}` };
  }
  const vocabProblem = vocabularyProblems(tokenizer.model, rows);
  if (vocabProblem) return vocabProblem;
  if (tokenizer.added_tokens !== undefined && tokenizer.added_tokens !== null) {
    if (!Array.isArray(tokenizer.added_tokens)) return { file: 'tokenizer.json', problem: 'added_tokens must be a list' };
    for (const [i, t] of tokenizer.added_tokens.entries()) {
      if (!isObject(t) || !isId(t.id) || typeof t.content !== 'string' || t.content === '') {
        return { file: 'tokenizer.json', problem: `added_tokens[${i}] must have an integer id and non-empty content` };
      }
      if (t.id >= rows)
        return {
          file: 'tokenizer.json',
          problem: `added token ${JSON.stringify(t.content)} has id ${t.id}, but the model has ${rows} embedding rows`,
        };
    }
  }
  const modelProblem = tokenizerModelProblem(tokenizer);
  if (modelProblem) return { file: 'tokenizer.json', problem: modelProblem };
  const tokenizerConfig = isObject(files.tokenizerConfig) ? files.tokenizerConfig : {};
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(tokenizer, tokenizerConfig);
    const ids = tok.encode(PROBE, { add_special_tokens: true }).ids;
    const bad = ids.find((id: number) => !isId(id) || id >= rows);
    if (bad !== undefined)
      return { file: 'tokenizer.json', problem: `encoding produced id ${bad}, outside the model's ${rows} embedding rows` };
    tok.decode(ids);
  } catch (err) {
    return { file: 'tokenizer.json', problem: `cannot be loaded or used (${(err as Error).message})` };
  }
  for (const key of ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const) {
    const v = config[key];
    if (v === undefined || v === null) continue;
    for (const id of Array.isArray(v) ? v : [v]) {
      if (!isId(id) || id >= rows || tok.id_to_token(id) === undefined) {
        return { file: 'config.json', problem: `${key} ${JSON.stringify(id)} is not a token of tokenizer.json` };
      }
    }
  }
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token'] as const) {
    const name = specialTokenName(tokenizerConfig[key]);
    if (name !== null && tok.token_to_id(name) === undefined) {
      return { file: 'tokenizer_config.json', problem: `${key} ${JSON.stringify(name)} is not a token of tokenizer.json` };
    }
  }
  return null;
}
