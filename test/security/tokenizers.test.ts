// Tokenizers and configs that transformers or the tokenizers library would refuse, refused when a
// model is registered, naming the file and the field. Each broken case edits a copy of a real
// published tokenizer (shared/tokenizers/) or config; every published tokenizer still passes.
// The precompiled-charsmap property (fast-check, fixed seed, printed on failure): a map the check
// accepts never sends spm_precompiled's trie walk out of range on any text.
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArchitecture } from '../../src/arch/registry.js';
import { precompiledCharsmapProblem } from '../../src/formats/checkpoint/precompiledCharsmap.js';
import { checkTokenizer } from '../../src/formats/checkpoint/tokenizerCheck.js';
import { tokenizerModelProblem } from '../../src/formats/checkpoint/tokenizerModelRules.js';
import { tokenizerProblem } from '../../src/formats/checkpoint/tokenizerRules.js';
import { fixtureConfig, sharedDir } from '../fixtures/checkpoints.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * A full collection now: V8's `gc` function, which --expose-gc installs only in contexts made after
 * the flag is set (the documented route from a running process: node's v8.setFlagsFromString).
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const SEED = Number(process.env.BONSAI_FC_SEED ?? 20261130);
const TOKENIZERS = join(sharedDir, 'tokenizers');
// biome-ignore lint/suspicious/noExplicitAny: parsed tokenizer.json files, edited freely by the cases
type Json = Record<string, any>;
const readJson = (path: string): Json => JSON.parse(readFileSync(path, 'utf8'));
const cache = new Map<string, Json>();
/** A published tokenizer.json, parsed once; cases copy what they edit. */
const published = (name: string): Json => {
  if (!cache.has(name)) cache.set(name, readJson(join(TOKENIZERS, name, 'tokenizer.json')));
  return cache.get(name)!;
};
const problemOf = (tokenizer: Json) => tokenizerProblem({ tokenizer, config: {} });
const PUBLISHED = readdirSync(TOKENIZERS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

describe('every published tokenizer passes', () => {
  it('there are five of them', () => {
    expect(PUBLISHED.sort()).toEqual(['gemma3', 'mbert', 'qwen3', 't5-small', 'xlm-roberta']);
  });

  for (const name of PUBLISHED) {
    it(`${name}: the rules this check adds`, () => {
      const dir = join(TOKENIZERS, name);
      expect(tokenizerModelProblem(published(name))).toBeNull();
      if (readdirSync(dir).includes('config.json'))
        expect(() => parseArchitecture(readJson(join(dir, 'config.json')), 'config.json')).not.toThrow();
    });
  }

  // The whole registration check (the library loads and encodes a sentence) on the smaller ones:
  // loading Gemma-3's 262,144 pieces alone takes seconds.
  for (const name of ['t5-small', 'mbert', 'qwen3']) {
    it(`${name}: the whole registration check`, () => {
      const dir = join(TOKENIZERS, name);
      const files = readdirSync(dir);
      expect(
        tokenizerProblem({
          tokenizer: published(name),
          tokenizerConfig: files.includes('tokenizer_config.json') ? readJson(join(dir, 'tokenizer_config.json')) : undefined,
          config: files.includes('config.json') ? readJson(join(dir, 'config.json')) : {},
        }),
      ).toBeNull();
    });
  }
});

describe('Unigram (XLM-R)', () => {
  const xlmr = published('xlm-roberta');
  const withVocab = (edit: (vocab: Array<[string, number]>) => void, model: Json = {}) => {
    const vocab = [...xlmr.model.vocab];
    edit(vocab);
    return { ...xlmr, model: { ...xlmr.model, ...model, vocab } };
  };
  const withPre = (edit: (seq: Json[]) => void) => {
    const pretokenizers = xlmr.pre_tokenizer.pretokenizers.map((p: Json) => ({ ...p }));
    edit(pretokenizers);
    return { ...xlmr, pre_tokenizer: { ...xlmr.pre_tokenizer, pretokenizers } };
  };
  const cases: Array<[string, Json, string]> = [
    [
      'a garbage precompiled_charsmap',
      { ...xlmr, normalizer: { type: 'Precompiled', precompiled_charsmap: 'not base64!' } },
      'normalizer.precompiled_charsmap is not canonical base64',
    ],
    [
      'a precompiled_charsmap cut short',
      { ...xlmr, normalizer: { type: 'Precompiled', precompiled_charsmap: xlmr.normalizer.precompiled_charsmap.slice(0, 4000) } },
      'normalizer.precompiled_charsmap states a trie of',
    ],
    [
      'an empty Metaspace replacement',
      withPre((seq) => {
        seq[1]!.replacement = '';
      }),
      'pre_tokenizer.pretokenizers[1].replacement must be exactly one character (got "")',
    ],
    [
      'a Metaspace decoder replacement of two characters',
      { ...xlmr, decoder: { ...xlmr.decoder, replacement: '▁▁' } },
      'decoder.replacement must be exactly one character (got "▁▁")',
    ],
    [
      'an unknown Metaspace prepend_scheme',
      withPre((seq) => {
        seq[1]!.prepend_scheme = 'sometimes';
      }),
      'pre_tokenizer.pretokenizers[1].prepend_scheme must be one of first, never, always',
    ],
    [
      'byte_fallback without the byte pieces',
      { ...xlmr, model: { ...xlmr.model, byte_fallback: true } },
      'model.byte_fallback is true, but 256 of the 256 byte pieces <0x00>…<0xFF> are missing (first <0x00>)',
    ],
    [
      'a duplicate piece',
      withVocab((v) => {
        v[1000] = [v[999]![0], v[1000]![1]];
      }),
      `model.vocab[1000] ${JSON.stringify(xlmr.model.vocab[999][0])} is already defined at model.vocab[999]`,
    ],
    [
      'an object of ids as its vocabulary',
      { ...xlmr, model: { ...xlmr.model, vocab: { '<unk>': 0, a: 1 } } },
      'model.vocab must be a list of [piece, score] pairs in a Unigram model',
    ],
    [
      'an empty piece',
      withVocab((v) => {
        v[7] = ['', 0];
      }),
      'model.vocab[7] is an empty piece',
    ],
  ];
  for (const [what, tokenizer, message] of cases) {
    it(what, () => {
      const p = problemOf(tokenizer);
      expect(p?.file).toBe('tokenizer.json');
      expect(p?.problem).toContain(message);
    });
  }

  it('byte_fallback with all 256 byte pieces is accepted by the rules', () => {
    const bytes = Array.from({ length: 256 }, (_, i): [string, number] => [`<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`, 0]);
    const t = withVocab((v) => v.splice(v.length - 256, 256, ...bytes), { byte_fallback: true });
    expect(tokenizerModelProblem(t)).toBeNull();
  });
});

describe('WordPiece (multilingual BERT)', () => {
  const mbert = published('mbert');
  const cases: Array<[string, Json, string]> = [
    ['an unk_token not in the vocabulary', { unk_token: '[NOPE]' }, 'model.unk_token "[NOPE]" is not in model.vocab'],
    ['max_input_chars_per_word 0', { max_input_chars_per_word: 0 }, 'model.max_input_chars_per_word must be a positive integer (got 0)'],
    ['max_input_chars_per_word -1', { max_input_chars_per_word: -1 }, 'model.max_input_chars_per_word must be a positive integer (got -1)'],
    [
      'a list of pieces as its vocabulary',
      { type: 'WordPiece', vocab: [['[UNK]', 0]] },
      'model.vocab must be an object of token ids in a WordPiece model',
    ],
  ];
  for (const [what, edit, message] of cases) {
    it(what, () => {
      expect(problemOf({ ...mbert, model: { ...mbert.model, ...edit } })).toEqual({ file: 'tokenizer.json', problem: message });
    });
  }
});

describe('configs transformers cannot build a model from', () => {
  const xlmr = readJson(join(TOKENIZERS, 'xlm-roberta', 'config.json'));
  const t5 = readJson(join(TOKENIZERS, 't5-small', 'config.json'));
  // BERT-base's shape (bert-base-multilingual-cased's config.json), from the XLM-R one.
  const bert = (edit: Json) => ({
    ...xlmr,
    model_type: 'bert',
    architectures: ['BertForMaskedLM'],
    vocab_size: 119547,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    pad_token_id: 0,
    layer_norm_eps: 1e-12,
    ...edit,
  });
  const cases: Array<[string, Json, RegExp]> = [
    ['BERT layer_norm_eps -1', bert({ layer_norm_eps: -1 }), /config\.json: layer_norm_eps must be greater than 0 \(got -1\)/],
    [
      'BERT hidden_act "evil"',
      bert({ hidden_act: 'evil' }),
      /config\.json: hidden_act "evil" is not an activation transformers knows \(ACT2FN: gelu,/,
    ],
    ['XLM-R layer_norm_eps 0', { ...xlmr, layer_norm_eps: 0 }, /layer_norm_eps must be greater than 0 \(got 0\)/],
    // The fixtures with a vocabulary size given: fixtureConfig would otherwise parse the
    // tokenizer.json for it (Gemma-3's 33 MB, about 1 CPU-s), a field these rules never read.
    [
      'Llama rms_norm_eps -1e-6',
      fixtureConfig('llama', { rms_norm_eps: -1e-6, vocab_size: 32_000 }),
      /rms_norm_eps must be greater than 0/,
    ],
    [
      'Gemma hidden_activation "evil"',
      fixtureConfig('gemma', { hidden_activation: 'evil', vocab_size: 262_208 }),
      /hidden_activation "evil" is not an activation/,
    ],
    ['T5 feed_forward_proj "gated-evil"', { ...t5, feed_forward_proj: 'gated-evil' }, /feed_forward_proj "evil" is not an activation/],
  ];
  for (const [what, config, message] of cases) {
    it(what, () => {
      expect(() => parseArchitecture(config, 'config.json')).toThrow(message);
    });
  }

  it('every ACT2FN name and a small positive epsilon are accepted', () => {
    for (const act of ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu', 'silu', 'swish', 'quick_gelu'])
      expect(() => parseArchitecture(bert({ hidden_act: act }), 'config.json')).not.toThrow();
  });
});

/**
 * spm_precompiled's walk of one string's bytes (DoubleArray::common_prefix_search plus the slice
 * of `normalized`), with its panics as thrown errors: what an accepted map must survive.
 */
function walkAsRust(bytes: Buffer, text: Uint8Array): void {
  const units = Math.floor(bytes.readUInt32LE(0) / 4);
  const at = (i: number) => {
    if (i >= units) throw new Error(`index ${i} out of range for ${units} units`);
    return bytes.readUInt32LE(4 + i * 4);
  };
  const normalized = bytes.length - 4 - units * 4;
  const offset = (u: number) => (u >>> 10) * ((u & 512) !== 0 ? 256 : 1);
  for (let start = 0; start < text.length; start++) {
    let node = offset(at(0));
    for (let i = start; i < text.length && text[i] !== 0; i++) {
      node ^= text[i]!;
      const unit = at(node);
      if ((unit & 0xff) + (unit >>> 31) * 0x100 !== text[i]) break;
      node ^= offset(unit);
      if (((unit >>> 8) & 1) === 1 && (at(node) & 0x7fffffff) > normalized) throw new Error('leaf past the replacements');
    }
  }
}

describe('precompiled_charsmap', () => {
  const real = published('xlm-roberta').normalizer.precompiled_charsmap as string;
  const realBytes = Buffer.from(real, 'base64');

  it('the published XLM-R and T5 maps are accepted', () => {
    expect(precompiledCharsmapProblem(real)).toBeNull();
    expect(precompiledCharsmapProblem(published('t5-small').normalizer.precompiled_charsmap)).toBeNull();
  });

  it('maps with mutated trie units are refused or walk safely on any text', () => {
    const trieUnits = Math.floor(realBytes.readUInt32LE(0) / 4);
    let refused = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(trieUnits - 1), fc.nat(3), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.array(fc.string({ unit: 'grapheme', maxLength: 16 }), { minLength: 1, maxLength: 8 }),
        (edits, texts) => {
          const bytes = Buffer.from(realBytes);
          for (const [unit, byte, value] of edits) bytes[4 + unit * 4 + byte] = value;
          const problem = precompiledCharsmapProblem(bytes.toString('base64'));
          if (problem !== null) {
            refused++;
            return;
          }
          for (const text of texts) walkAsRust(bytes, new TextEncoder().encode(text));
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
    // Some mutations must have been caught, or the property says nothing.
    expect(refused).toBeGreaterThan(0);
  });
});

describe('the registration check runs in a child process with a heap bound', () => {
  /**
   * The test process's peak growth while `work` runs (sampled every 20 ms), in RSS and in V8's
   * heap with the memory it tracks outside it: the worker process has run other files before this
   * one (vitest.config.ts, isolate: false), and pages they freed could take an in-process load
   * without RSS growing; the heap counts what is live. The baseline is taken after a full
   * collection (garbage left by earlier files, freed during `work`, would hide as much growth) and
   * before `work` is called, so none of its synchronous part runs before it.
   */
  async function memoryGrowth(work: () => Promise<unknown>): Promise<number> {
    const live = () => {
      const m = process.memoryUsage();
      return { rss: m.rss, heap: m.heapUsed + m.external };
    };
    collectGarbage();
    const before = live();
    const peak = { ...before };
    const sample = () => {
      const now = live();
      peak.rss = Math.max(peak.rss, now.rss);
      peak.heap = Math.max(peak.heap, now.heap);
    };
    const timer = setInterval(sample, 20);
    // And once at the end: work done synchronously (a load in this process) gives the timer no turn.
    await work().finally(() => {
      clearInterval(timer);
      sample();
    });
    return Math.max(peak.rss - before.rss, peak.heap - before.heap);
  }

  it('a tokenizer that needs more than the bound is refused as such, and the calling process does not grow', async () => {
    let error: unknown;
    const growth = await memoryGrowth(() =>
      checkTokenizer(join(TOKENIZERS, 'xlm-roberta'), {}, { maxHeapMb: 96 }).catch((e) => (error = e)),
    );
    expect(String(error)).toMatch(/xlm-roberta\/tokenizer\.json: needs more than the 96 MiB a tokenizer may use to load/);
    // Loading it in this process would take about 200 MB.
    expect(growth).toBeLessThan(40 * 2 ** 20);
  });

  it('with the default bound a published tokenizer passes, and a broken one is refused naming the field', async () => {
    const dir = join(TOKENIZERS, 't5-small');
    await checkTokenizer(dir, readJson(join(dir, 'config.json')));
    const broken = join(tempDir('bonsai-tok-'), 't5-small');
    cpSync(dir, broken, { recursive: true });
    const t = published('t5-small');
    writeFileSync(join(broken, 'tokenizer.json'), JSON.stringify({ ...t, decoder: { ...t.decoder, replacement: '' } }));
    await expect(checkTokenizer(broken, {})).rejects.toThrow(
      /t5-small\/tokenizer\.json: decoder\.replacement must be exactly one character/,
    );
  });
});

describe('verdicts kept by what was judged', () => {
  // A check that had to start its child with a 1 ms timeout could only say it took too long: one
  // that answers otherwise answered from a kept verdict. Each case's files are made unique (a
  // trailing space of random length) so no other case's verdict can answer for them.
  const unique = (name: string) => {
    const dir = join(tempDir('bonsai-tok-'), name);
    cpSync(join(TOKENIZERS, name), dir, { recursive: true });
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, readFileSync(path, 'utf8') + ' '.repeat(1 + Math.floor(Math.random() * 1e6)));
    return dir;
  };
  const tooSlow = /took more than 0\.001 s/;

  it('the same bytes and config are not judged twice; changed bytes, another config or another bound are', async () => {
    const dir = unique('t5-small');
    const config = readJson(join(dir, 'config.json'));
    await checkTokenizer(dir, config);
    await checkTokenizer(dir, config, { timeoutMs: 1 });
    await expect(checkTokenizer(dir, { ...config, vocab_size: config.vocab_size + 1 }, { timeoutMs: 1 })).rejects.toThrow(tooSlow);
    await expect(checkTokenizer(dir, config, { timeoutMs: 1, maxHeapMb: 700 })).rejects.toThrow(tooSlow);
    writeFileSync(join(dir, 'tokenizer_config.json'), `${readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')} `);
    await expect(checkTokenizer(dir, config, { timeoutMs: 1 })).rejects.toThrow(tooSlow);
  });

  it('a refusal is kept as well; a timeout is not', async () => {
    const dir = unique('t5-small');
    const t = readJson(join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ ...t, decoder: { ...t.decoder, replacement: '' } }));
    const refused = /tokenizer\.json: decoder\.replacement must be exactly one character/;
    await expect(checkTokenizer(dir, {})).rejects.toThrow(refused);
    await expect(checkTokenizer(dir, {}, { timeoutMs: 1 })).rejects.toThrow(refused);
    const slow = unique('t5-small');
    await expect(checkTokenizer(slow, {}, { timeoutMs: 1 })).rejects.toThrow(tooSlow);
    await checkTokenizer(slow, {});
  });
});
