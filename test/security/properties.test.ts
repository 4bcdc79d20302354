// Property-based checks with fast-check, over 590 generated cases a run: safetensors files,
// config.json, tokenizer.json, import and data paths, and GraphQL inputs. Each case must end in a
// clean typed error or a correct result, within 5 s, leaving no row or blob behind. The seed is
// fixed (BONSAI_FC_SEED overrides it) and fast-check prints it, with the failing case's path, on
// failure, so a failure replays exactly: `BONSAI_FC_SEED=<seed> npx vitest run test/security/properties.test.ts`.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCheckpoint } from '../../src/arch/inspect.js';
import { parseArchitecture } from '../../src/arch/registry.js';
import { BonsaiError } from '../../src/errors.js';
import { tokenizerProblem } from '../../src/formats/checkpoint/tokenizerRules.js';
import { SafetensorsError } from '../../src/formats/safetensors/errors.js';
import { SafetensorsFile } from '../../src/formats/safetensors/reader.js';
import { recipeInput } from '../../src/recipes/fields.js';
import { resolveDataFile, resolveImportPath } from '../../src/registry/importPath.js';
import { sharedDir, sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

const SEED = Number(process.env.BONSAI_FC_SEED ?? 20261130);
const params = (numRuns: number) => ({ seed: SEED, numRuns, endOnFailure: true });
const dir = tempDir('bonsai-props-');

/**
 * Runs `work`, failing if it takes more than 5 s (a hang is a failure, not a slow pass): by a timer
 * for asynchronous work, and by the clock afterwards for work that held the thread.
 */
async function within5s<T>(work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('took more than 5 s')), 5000);
  });
  const started = performance.now();
  try {
    const result = await Promise.race([work(), timeout]);
    if (performance.now() - started > 5000) throw new Error(`took ${Math.round(performance.now() - started)} ms`);
    return result;
  } finally {
    clearTimeout(timer);
  }
}

describe('safetensors files (200 cases): accepted exactly when well-formed, and then read back exactly', () => {
  // The format's element sizes, stated here independently of the reader's table.
  const SIZES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8, U8: 1 };
  const FAULTS = [
    'none',
    'none',
    'none',
    'duplicate field',
    'duplicate name',
    'unknown dtype',
    'shape does not match size',
    'overlap',
    'gap',
    'truncated',
    'trailing bytes',
    'length past the end',
    'not UTF-8',
    'not JSON',
    'negative dimension',
  ] as const;
  const tensor = fc.record({
    dtype: fc.constantFrom(...Object.keys(SIZES)),
    shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
  });
  const arb = fc.record({
    names: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9._]{0,10}$/), { minLength: 2, maxLength: 6 }),
    tensors: fc.array(tensor, { minLength: 6, maxLength: 6 }),
    order: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
    fault: fc.constantFrom(...FAULTS),
    metadata: fc.boolean(),
    seed: fc.nat(),
  });

  it('holds', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(arb, async ({ names, tensors, order, fault, metadata, seed }) => {
        const specs = names.map((name, i) => {
          const t = tensors[i]!;
          return { name, ...t, bytes: t.shape.reduce((a, b) => a * b, 1) * SIZES[t.dtype]! };
        });
        // File order differs from header order.
        const fileOrder = specs
          .map((s, i) => ({ s, k: order[i]! }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.s);
        let offset = 0;
        const placed = new Map<string, [number, number]>();
        for (const s of fileOrder) {
          placed.set(s.name, [offset, offset + s.bytes]);
          offset += s.bytes;
        }
        let dataLength = offset;
        const [firstName, secondName] = [fileOrder[0]!.name, fileOrder[1]!.name];
        if (fault === 'overlap') placed.set(secondName, [placed.get(secondName)![0] - 1, placed.get(secondName)![1] - 1]);
        if (fault === 'gap') {
          const last = fileOrder.at(-1)!.name;
          placed.set(last, [placed.get(last)![0] + 1, placed.get(last)![1] + 1]);
          dataLength += 1;
        }
        const entry = (s: (typeof specs)[number]) => {
          const [b, e] = placed.get(s.name)!;
          const dtype = fault === 'unknown dtype' && s.name === firstName ? 'F31' : s.dtype;
          const shape = [...s.shape];
          if (fault === 'shape does not match size' && s.name === firstName) shape[0]! += 1;
          if (fault === 'negative dimension' && s.name === firstName) shape[0] = -shape[0]!;
          const dup = fault === 'duplicate field' && s.name === firstName ? `"dtype":"F32",` : '';
          return `${JSON.stringify(s.name)}:{${dup}"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${b},${e}]}`;
        };
        const entries = specs.map(entry);
        if (fault === 'duplicate name') entries.push(entries[0]!);
        if (metadata) entries.unshift('"__metadata__":{"format":"pt"}');
        let header = `{${entries.join(',')}}`;
        if (fault === 'not JSON') header = header.slice(0, -1);
        header += ' '.repeat((8 - (header.length % 8)) % 8);
        let headerBytes = Buffer.from(header);
        if (fault === 'not UTF-8') headerBytes = Buffer.concat([headerBytes.subarray(0, 3), Buffer.from([0xff]), headerBytes.subarray(4)]);
        const data = Buffer.alloc(dataLength);
        for (let i = 0; i < data.length; i++) data[i] = (seed + i * 131) & 0xff;
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(headerBytes.length + (fault === 'length past the end' ? data.length + 1 : 0)));
        let file = Buffer.concat([len, headerBytes, data]);
        if (fault === 'truncated') file = file.subarray(0, file.length - 1);
        if (fault === 'trailing bytes') file = Buffer.concat([file, Buffer.from([0])]);
        const path = join(dir, `case-${n++}.safetensors`);
        writeFileSync(path, file);

        const outcome = await within5s(() =>
          SafetensorsFile.open(path).then(
            (f) => ({ f }),
            (err: unknown) => ({ err }),
          ),
        );
        if (fault !== 'none') {
          expect('err' in outcome && outcome.err, `${fault} must be refused`).toBeInstanceOf(SafetensorsError);
          return;
        }
        if (!('f' in outcome)) throw outcome.err;
        try {
          expect([...outcome.f.tensors.keys()].sort()).toEqual(names.slice().sort());
          for (const s of specs) {
            const info = outcome.f.info(s.name);
            expect(info).toMatchObject({ dtype: s.dtype, shape: s.shape });
            const [b, e] = placed.get(s.name)!;
            expect(Buffer.from(await outcome.f.readBytes(s.name)).equals(data.subarray(b, e))).toBe(true);
          }
        } finally {
          await outcome.f.close();
        }
      }),
      params(200),
    );
  });
});

describe("safetensors: the crate's own invalid-file vectors (huggingface/safetensors, safetensors/src/tensor.rs tests)", () => {
  const entry = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';
  const le = (n: number | bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
  };
  const zeros = (n: number) => Buffer.alloc(n);
  const vectors: Array<[string, Buffer]> = [
    ['test_header_too_small (empty file)', Buffer.alloc(0)],
    ['test_invalid_header_length (header past the end)', le(60)],
    ['test_invalid_header_non_utf8', Buffer.concat([le(1), Buffer.from([0xff])])],
    ['test_invalid_header_not_json', Buffer.concat([le(1), Buffer.from('{')])],
    ['test_header_too_large', Buffer.concat([Buffer.from([60, 0, 0, 0, 0, 0xff, 0xff, 0xff]), Buffer.from(entry), zeros(16)])],
    [
      'test_metadata_incomplete_buffer (extra bytes)',
      Buffer.concat([le(60), Buffer.from(entry), zeros(16), Buffer.from('extra_bogus_data_for_polyglot_file')]),
    ],
    ['test_metadata_incomplete_buffer (missing bytes)', Buffer.concat([le(60), Buffer.from(entry), zeros(14)])],
    ['test_invalid_info', Buffer.concat([le(60), Buffer.from('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}')])],
    [
      'test_validation_overflow (shape product)',
      Buffer.concat([le(79), Buffer.from('{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}'), zeros(16)]),
    ],
    [
      'test_validation_overflow (bytes)',
      Buffer.concat([le(78), Buffer.from('{"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}'), zeros(16)]),
    ],
    [
      'test_json_attack (ten tensors on the same bytes)',
      (() => {
        const h = JSON.stringify(
          Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`weight_${i}`, { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }])),
        );
        return Buffer.concat([le(h.length), Buffer.from(h), zeros(16)]);
      })(),
    ],
  ];
  for (const [name, bytes] of vectors) {
    it(`refuses ${name}`, async () => {
      const path = join(dir, `${name.replace(/\W+/g, '-')}.safetensors`);
      writeFileSync(path, bytes);
      await expect(SafetensorsFile.open(path)).rejects.toBeInstanceOf(SafetensorsError);
    });
  }
  const valid: Array<[string, Buffer, number]> = [
    ['test_deserialization', Buffer.concat([le(60), Buffer.from(entry), zeros(16)]), 1],
    ['test_whitespace_padded_header', Buffer.concat([le(6), Buffer.from('{}\r \t\n')]), 0],
    ['test_zero_sized_tensor', Buffer.concat([le(60), Buffer.from('{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}')]), 1],
    [
      'test_empty_shapes_allowed',
      Buffer.concat([le(56), Buffer.from('{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}'), zeros(4)]),
      1,
    ],
  ];
  for (const [name, bytes, count] of valid) {
    it(`accepts ${name}`, async () => {
      const path = join(dir, `${name}.safetensors`);
      writeFileSync(path, bytes);
      const f = await SafetensorsFile.open(path);
      expect(f.tensors.size).toBe(count);
      await f.close();
    });
  }
});

describe('config.json (100 + 30 cases): a typed error or a configuration, never a crash or a hang', () => {
  const base = JSON.parse(readFileSync(join(sharedModel, 'config.json'), 'utf8')) as Record<string, unknown>;
  const KEYS = [
    'hidden_size',
    'intermediate_size',
    'num_hidden_layers',
    'num_attention_heads',
    'num_key_value_heads',
    'head_dim',
    'vocab_size',
    'rope_theta',
    'rms_norm_eps',
    'tie_word_embeddings',
    'max_position_embeddings',
    'rope_scaling',
    'architectures',
    'model_type',
    'layer_types',
    'sliding_window',
    'bos_token_id',
  ];
  const value = fc.oneof(
    fc.integer({ min: -10, max: 100_000 }),
    fc.constantFrom(0, 1e9, 2 ** 31, 2 ** 53, 1e308, -1),
    fc.double(),
    fc.string({ maxLength: 8 }),
    fc.boolean(),
    fc.constant(null),
    fc.jsonValue({ maxDepth: 2 }),
    fc.array(fc.constantFrom('full_attention', 'sliding_attention', 'x'), { maxLength: 8 }),
  );
  const mutation = fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.option(value, { nil: undefined })), { minLength: 1, maxLength: 3 });
  const mutate = (m: Array<[string, unknown]>) => {
    const c: Record<string, unknown> = { ...base };
    for (const [k, v] of m) {
      if (v === undefined) delete c[k];
      else c[k] = v;
    }
    return c;
  };

  it('parseArchitecture', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const outcome = await within5s(async () => {
          try {
            return { arch: parseArchitecture(mutate(m), 'config.json') };
          } catch (err) {
            return { err };
          }
        });
        if ('err' in outcome) expect(outcome.err).toBeInstanceOf(BonsaiError);
        else expect(outcome.arch.numLayers).toBeLessThanOrEqual(4096);
      }),
      params(100),
    );
  });

  it('inspectCheckpoint (bonsai inspect) on the shared weights', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const folder = join(dir, `config-${n++}`);
        mkdirSync(folder);
        symlinkSync(join(sharedModel, 'model.safetensors'), join(folder, 'model.safetensors'));
        writeFileSync(join(folder, 'config.json'), JSON.stringify(mutate(m)));
        const outcome = await within5s(() =>
          inspectCheckpoint(folder).then(
            (report) => ({ report }),
            (err: unknown) => ({ err }),
          ),
        );
        if ('err' in outcome) {
          expect(outcome.err).toBeInstanceOf(BonsaiError);
          return;
        }
        // Whatever the config says, the tensors are what they are: 8,800,704 parameters
        // (test/helpers/reference.test.ts checks that figure against reference.json).
        expect(outcome.report.parameters.fromTensors.total).toBe(8_800_704);
        if (outcome.report.parameters.agree) expect(outcome.report.arch.numLayers).toBe(6);
      }),
      params(30),
    );
  });
});

describe('tokenizer.json (60 cases): a problem named, or a tokenizer that encodes within the embedding', () => {
  const text = readFileSync(join(sharedModel, 'tokenizer.json'), 'utf8');
  const tokenizerConfig = JSON.parse(readFileSync(join(sharedModel, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  const config = JSON.parse(readFileSync(join(sharedModel, 'config.json'), 'utf8')) as Record<string, unknown>;
  const line = readFileSync(join(sharedDir, 'data', 'kjv-val.txt'), 'utf8').split('\n')[3]!;
  type Tok = {
    model: { type?: unknown; vocab: Record<string, unknown>; merges: unknown[]; [k: string]: unknown };
    added_tokens: Array<Record<string, unknown>>;
    [k: string]: unknown;
  };
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('delete vocab'), at: fc.nat() }),
    fc.record({
      kind: fc.constant('set id'),
      at: fc.nat(),
      to: fc.oneof(fc.integer({ min: -5, max: 40_000 }), fc.jsonValue({ maxDepth: 1 })),
    }),
    fc.record({ kind: fc.constant('set merge'), at: fc.nat(), to: fc.oneof(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 })) }),
    fc.record({
      kind: fc.constant('added token'),
      at: fc.nat(),
      field: fc.constantFrom('id', 'content', 'special'),
      to: fc.jsonValue({ maxDepth: 1 }),
    }),
    fc.record({
      kind: fc.constant('model field'),
      field: fc.constantFrom('type', 'unk_token', 'byte_fallback', 'vocab', 'merges', 'dropout'),
      to: fc.jsonValue({ maxDepth: 1 }),
    }),
    fc.record({
      kind: fc.constant('top field'),
      field: fc.constantFrom('normalizer', 'pre_tokenizer', 'decoder', 'post_processor', 'added_tokens', 'model'),
      to: fc.jsonValue({ maxDepth: 2 }),
    }),
  );

  it('holds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 2 }), async (mutations) => {
        const t = JSON.parse(text) as Tok;
        for (const m of mutations) {
          const vocab = t.model?.vocab && typeof t.model.vocab === 'object' ? t.model.vocab : {};
          const keys = Object.keys(vocab);
          if (m.kind === 'delete vocab' && keys.length) delete vocab[keys[m.at % keys.length]!];
          if (m.kind === 'set id' && keys.length) vocab[keys[m.at % keys.length]!] = m.to;
          if (m.kind === 'set merge' && Array.isArray(t.model?.merges) && t.model.merges.length)
            t.model.merges[m.at % t.model.merges.length] = m.to;
          if (m.kind === 'added token' && Array.isArray(t.added_tokens) && t.added_tokens.length) {
            const a = t.added_tokens[m.at % t.added_tokens.length];
            if (a && typeof a === 'object') a[m.field] = m.to;
          }
          if (m.kind === 'model field' && t.model && typeof t.model === 'object') (t.model as Record<string, unknown>)[m.field] = m.to;
          if (m.kind === 'top field') (t as Record<string, unknown>)[m.field] = m.to;
        }
        const problem = await within5s(async () => tokenizerProblem({ tokenizer: t, tokenizerConfig, config }));
        if (problem !== null) {
          expect(['tokenizer.json', 'tokenizer_config.json', 'config.json']).toContain(problem.file);
          expect(problem.problem.length).toBeGreaterThan(0);
          return;
        }
        // Accepted: evaluation's use of it works, on text the check did not see.
        const tok = new Tokenizer(t, tokenizerConfig);
        const ids = tok.encode(line, { add_special_tokens: false }).ids as number[];
        expect(ids.length).toBeGreaterThan(0);
        expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < (config.vocab_size as number))).toBe(true);
      }),
      params(60),
    );
    // 60 tokenizers checked and built whole: 11.8 s on a quiet 2-core VM, 25.1 s with one of its
    // cores kept busy (2026-12-06, three test workers): within a third of this limit either way.
  }, 120_000);
});

describe('import and data paths (100 cases): inside the roots, or FORBIDDEN / BAD_USER_INPUT', () => {
  const root = join(dir, 'root');
  const outside = join(dir, 'outside');

  beforeAll(() => {
    mkdirSync(join(root, 'm'), { recursive: true });
    mkdirSync(join(outside, 'secret'), { recursive: true });
    writeFileSync(join(root, 'file.txt'), 'text\n');
    writeFileSync(join(root, 'm', 'data.txt'), 'text\n');
    writeFileSync(join(outside, 'secret', 'data.txt'), 'secret\n');
    symlinkSync(join(root, 'm'), join(root, 'link-in'));
    symlinkSync(join(outside, 'secret'), join(root, 'link-out'));
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
  });

  const segment = fc.constantFrom(
    '..',
    '.',
    'm',
    'file.txt',
    'data.txt',
    'link-in',
    'link-out',
    'dangling',
    'fifo',
    'nope',
    '',
    'ä',
    'a\0b',
    'secret',
  );
  const start = fc.constantFrom(
    () => root,
    () => outside,
    () => '/',
    () => 'relative',
    () => '/etc',
    () => `${root}/../outside`,
  );
  const path = fc.tuple(start, fc.array(segment, { maxLength: 4 })).map(([s, parts]) => [s(), ...parts].join('/'));

  it('holds', async () => {
    const realRoot = realpathSync(root);
    await fc.assert(
      fc.asyncProperty(path, fc.boolean(), async (p, asData) => {
        const outcome = await within5s(() =>
          (asData ? resolveDataFile(p, [root], 'data') : resolveImportPath(p, [root])).then(
            (resolved) => ({ resolved }),
            (err: unknown) => ({ err }),
          ),
        );
        if ('err' in outcome) {
          expect(outcome.err).toBeInstanceOf(BonsaiError);
          expect(['FORBIDDEN', 'BAD_USER_INPUT']).toContain((outcome.err as BonsaiError).code);
          expect((outcome.err as BonsaiError).details.field).toBe(asData ? 'data' : 'path');
          return;
        }
        const rel = relative(realRoot, outcome.resolved);
        expect(rel.startsWith('..')).toBe(false);
        expect(asData ? statSync(outcome.resolved).isFile() : statSync(outcome.resolved).isDirectory()).toBe(true);
      }),
      params(100),
    );
  });
});

describe('GraphQL inputs (100 cases): 200 or 400, typed errors, nothing half-written', () => {
  let api: TestApi;
  const root = join(dir, 'gql-root');

  beforeAll(async () => {
    mkdirSync(root);
    cpSync(sharedModel, join(root, 'kjv'), { recursive: true });
    api = await startTestApi({ modelRoots: [root] });
    await api.register(join(root, 'kjv'), 'bible/kjv');
  });
  afterAll(async () => {
    await api?.close();
  });

  // Mostly strings (the type most arguments have, so most cases get past type checking), many
  // of them hostile: NUL characters, traversal, huge numbers as digits, dates that are not.
  const hostileString = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ maxLength: 6 }).map((s) => `${s}\u0000${s}`),
    fc.constantFrom(
      '',
      '../../etc/passwd',
      'hf://x/y',
      'bible/kjv',
      'BIBLE/KJV',
      '99999999999999999999',
      'tomorrow',
      '2027-01-01T00:00:00Z',
    ),
  );
  const anyValue = fc.oneof(
    { weight: 6, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
  const operations = [
    {
      query:
        'query($f: ModelFilter, $n: Int, $a: String) { models(filter: $f, first: $n, after: $a) { totalCount edges { node { name } } } }',
      variables: fc.record({
        f: fc.dictionary(
          fc.constantFrom('search', 'architecture', 'license', 'minParameters', 'maxParameters', 'status', 'kind', 'relation', 'method'),
          anyValue,
        ),
        n: anyValue,
        a: anyValue,
      }),
    },
    {
      query:
        'mutation($p: String!, $n: String!, $d: String, $t: [String!], $l: String) { registerModel(path: $p, name: $n, description: $d, tags: $t, license: $l) { model { id } } }',
      variables: fc.record({
        p: fc.oneof(anyValue, fc.constant(join(root, 'kjv')), fc.constant(root)),
        n: fc.oneof(anyValue, fc.constantFrom('Bible/KJV', 'a/b', `x/${'y'.repeat(200)}`)),
        d: anyValue,
        t: fc.oneof(anyValue, fc.array(anyValue, { maxLength: 3 })),
        l: anyValue,
      }),
    },
    {
      query: 'mutation($n: String!, $r: TokenRole!, $e: DateTime) { createApiToken(name: $n, role: $r, expiresAt: $e) { token { role } } }',
      variables: fc.record({
        n: hostileString,
        r: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('READER', 'ADMIN') }, { weight: 1, arbitrary: anyValue }),
        e: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: anyValue }),
      }),
    },
    {
      query:
        'mutation($p: String!, $r: PruningRecipeInput!, $n: String) { spawnPrunedVariant(parent: $p, recipe: $r, name: $n) { job { id } } }',
      variables: fc.record({
        p: fc.oneof(fc.constant('bible/kjv'), anyValue),
        r: fc.oneof(
          anyValue,
          fc
            .record(
              {
                method: fc.constantFrom('mlp-width', 'depth', 'sparsity', 'vocab', 'nope'),
                pruningFraction: anyValue,
                last: anyValue,
                layers: anyValue,
                sparsity: anyValue,
                pattern: anyValue,
                corpus: anyValue,
              },
              { requiredKeys: ['method'] },
            )
            // As the API's oneOf input: { mlpWidth: { … } } (an unknown method is an unknown member).
            .map(({ method, ...fields }) => recipeInput({ method, ...fields })),
        ),
        n: anyValue,
      }),
    },
    {
      query: 'mutation($m: String!, $d: String, $t: [String!]) { updateModel(model: $m, description: $d, tags: $t) { name } }',
      variables: fc.record({
        m: fc.oneof(fc.constant('bible/kjv'), anyValue),
        d: anyValue,
        t: fc.oneof(anyValue, fc.array(anyValue, { maxLength: 3 })),
      }),
    },
  ];
  const TYPED = new Set(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'NOT_FOUND', 'FORBIDDEN', 'CONFLICT', 'UNAUTHENTICATED']);

  it('holds', async () => {
    const request = fc.oneof(...operations.map((o) => o.variables.map((variables) => ({ query: o.query, variables }))));
    await fc.assert(
      fc.asyncProperty(request, async ({ query, variables }) => {
        const res = await within5s(() =>
          fetch(`${api.server.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${api.tokens.ADMIN}` },
            body: JSON.stringify({ query, variables }),
          }),
        );
        const text = await res.text();
        expect([200, 400], text).toContain(res.status);
        const body = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> };
        for (const e of body.errors ?? []) expect(TYPED.has(String(e.extensions?.code)), text).toBe(true);
        expect(text).not.toMatch(/prisma|Invalid `/i);
      }),
      params(100),
    );
    // Nothing half-written: every model has its checkpoint or a job that will make it.
    const models = await api.db.prisma.model.findMany({ include: { jobs: true } });
    for (const m of models) expect(m.artifactId !== null || m.jobs.length > 0, `${m.owner}/${m.name}`).toBe(true);
    const referenced = new Set((await api.db.prisma.artifactFile.findMany({ select: { sha256: true } })).map((f) => f.sha256));
    expect((await api.registry.store.listBlobs()).every((b) => referenced.has(b))).toBe(true);
  });
});
