// Rules of tokenizer.json that the tokenizer libraries enforce when they load or use a file, and
// that the JavaScript library evaluation uses does not (it accepts all of these and then tokenises
// wrongly): each cites where the rule comes from.
// - Unigram pieces, as SentencePiece's ModelInterface::InitializePieces (src/model_interface.cc)
//   refuses a model: a piece must not be empty or contain NUL, no piece may be defined twice
//   ("… is already defined"; the tokenizers crate would silently keep only the last id), and with
//   `byte_fallback` all 256 byte pieces <0x00>…<0xFF> must exist ("there are not 256 byte pieces
//   although `byte_fallback` is true").
// - WordPiece (tokenizers, models/wordpiece/mod.rs): an unknown word becomes `unk_token`, looked up
//   in the vocabulary (`Error::MissingUnkToken` when it is not there), and
//   `max_input_chars_per_word` is a usize past which a word is unknown (0 makes every word unknown).
// - Metaspace pre-tokenizer and decoder (pre_tokenizers/metaspace.rs): `replacement` is a Rust
//   `char`, so exactly one character; `prepend_scheme` is one of "first", "never", "always".
// - Precompiled normalizer: precompiledCharsmap.ts (spm_precompiled).
import { precompiledCharsmapProblem } from './precompiledCharsmap.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const BYTE_PIECES = Array.from({ length: 256 }, (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`);

function unigramProblem(model: Json): string | null {
  if (!Array.isArray(model.vocab)) return 'model.vocab must be a list of [piece, score] pairs in a Unigram model';
  const vocab = model.vocab as Array<[string, number]>;
  if (model.byte_fallback !== undefined && typeof model.byte_fallback !== 'boolean') return 'model.byte_fallback must be true or false';
  const seen = new Map<string, number>();
  for (const [i, [piece]] of vocab.entries()) {
    if (piece === '') return `model.vocab[${i}] is an empty piece`;
    if (piece.includes('\0')) return `model.vocab[${i}] contains a NUL character`;
    const first = seen.get(piece);
    if (first !== undefined) return `model.vocab[${i}] ${JSON.stringify(piece)} is already defined at model.vocab[${first}]`;
    seen.set(piece, i);
  }
  if (model.byte_fallback === true) {
    const absent = BYTE_PIECES.filter((p) => !seen.has(p));
    if (absent.length > 0)
      return `model.byte_fallback is true, but ${absent.length} of the 256 byte pieces <0x00>…<0xFF> are missing (first ${absent[0]})`;
  }
  return null;
}

function wordPieceProblem(model: Json): string | null {
  if (!isObject(model.vocab)) return 'model.vocab must be an object of token ids in a WordPiece model';
  const vocab = model.vocab;
  const unk = model.unk_token ?? '[UNK]';
  if (typeof unk !== 'string') return 'model.unk_token must be a string';
  if (!Object.hasOwn(vocab, unk)) return `model.unk_token ${JSON.stringify(unk)} is not in model.vocab`;
  const max = model.max_input_chars_per_word ?? 100;
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max <= 0)
    return `model.max_input_chars_per_word must be a positive integer (got ${JSON.stringify(max)})`;
  return null;
}

const PREPEND_SCHEMES = ['first', 'never', 'always'];

/** Problems of one pre-tokenizer, normalizer or decoder, and of those nested in a Sequence. */
function componentProblem(component: unknown, where: string): string | null {
  if (!isObject(component)) return null;
  if (component.type === 'Metaspace') {
    const r = component.replacement;
    if (typeof r !== 'string' || [...r].length !== 1)
      return `${where}.replacement must be exactly one character (got ${JSON.stringify(r) ?? 'nothing'})`;
    const scheme = component.prepend_scheme;
    if (scheme !== undefined && !PREPEND_SCHEMES.includes(scheme as string))
      return `${where}.prepend_scheme must be one of ${PREPEND_SCHEMES.join(', ')} (got ${JSON.stringify(scheme)})`;
  }
  if (component.type === 'Precompiled') {
    const problem = precompiledCharsmapProblem(component.precompiled_charsmap);
    if (problem) return `${where}.precompiled_charsmap ${problem}`;
  }
  // Sequence: `pretokenizers`, `normalizers` or `decoders`.
  for (const key of ['pretokenizers', 'normalizers', 'decoders']) {
    const list = component[key];
    if (!Array.isArray(list)) continue;
    for (const [i, inner] of list.entries()) {
      const problem = componentProblem(inner, `${where}.${key}[${i}]`);
      if (problem) return problem;
    }
  }
  return null;
}

/**
 * The first rule of the libraries this tokenizer.json breaks, or null. `tokenizer.model.vocab` has
 * already been checked to be a list of [piece, score] pairs (Unigram) or an object of ids.
 */
export function tokenizerModelProblem(tokenizer: Json): string | null {
  const model = tokenizer.model as Json;
  // Older files carry no `type`; the crate then tries BPE, WordPiece, WordLevel and Unigram in turn
  // (models/mod.rs, ModelUntagged), and WordPiece needs all of its four fields.
  const type =
    model.type ??
    (Array.isArray(model.vocab)
      ? 'Unigram'
      : 'merges' in model
        ? 'BPE'
        : 'max_input_chars_per_word' in model && 'continuing_subword_prefix' in model
          ? 'WordPiece'
          : null);
  const problem =
    (type === 'Unigram' && unigramProblem(model)) ||
    (type === 'WordPiece' && wordPieceProblem(model)) ||
    componentProblem(tokenizer.normalizer, 'normalizer') ||
    componentProblem(tokenizer.pre_tokenizer, 'pre_tokenizer') ||
    componentProblem(tokenizer.decoder, 'decoder');
  return problem || null;
}
