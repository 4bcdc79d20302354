// Hostile files in a checkpoint folder or as data: FIFOs, a slow file, a config stating a billion
// layers, a safetensors header with a duplicated field, broken tokenizers, paths outside the roots.
// Each ends in a clean typed error naming the file or field, quickly, with the server answering
// throughout and nothing left behind (no row, no blob).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCheckpoint } from '../../src/arch/inspect.js';
import { parseArchitecture } from '../../src/arch/registry.js';
import { CheckpointError } from '../../src/formats/checkpoint/folder.js';
import { SafetensorsError } from '../../src/formats/safetensors/errors.js';
import { SafetensorsFile } from '../../src/formats/safetensors/reader.js';
import { copySharedModel, sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;
const root = tempDir('bonsai-hostile-');
const outside = tempDir('bonsai-outside-');
/** A writable copy of the shared model under the import root. */
const copyModel = (name: string) => copySharedModel(join(root, name));

function editJson(file: string, edit: (j: Record<string, unknown>) => void): void {
  const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(j);
  writeFileSync(file, JSON.stringify(j));
}

/** JSON text nested `n` deep: `[[[…]]]`. */
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

/** Rewrites model.safetensors' header (same tensors, same offsets) with `edit` applied to its text. */
function editHeader(file: string, edit: (header: Record<string, unknown>) => string): void {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  const text = Buffer.from(edit(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  writeFileSync(file, Buffer.concat([len, text, bytes.subarray(8 + n)]));
}

const REGISTER = 'mutation($p: String!, $n: String!) { registerModel(path: $p, name: $n) { model { id } } }';

async function register(path: string, name: string) {
  const started = performance.now();
  const r = await api.gql<{ registerModel: { model: { id: string } } }>(REGISTER, { p: path, n: name });
  return { ...r, ms: performance.now() - started };
}

/** Files in the store: whole blobs and the manifests of files stored in pieces. */
function blobs(): string[] {
  return ['blobs', 'manifests'].flatMap((kind) => {
    const base = join(api.registry.store.root, kind);
    return existsSync(base)
      ? readdirSync(base, { recursive: true })
          .map(String)
          .filter((f) => /[0-9a-f]{64}$/.test(f))
      : [];
  });
}

async function expectNothingLeft(models: number) {
  expect(await api.db.prisma.model.count()).toBe(models);
  expect(await api.db.prisma.artifact.count()).toBe(models);
  const referenced = new Set((await api.db.prisma.artifactFile.findMany({ select: { sha256: true } })).map((f) => f.sha256));
  expect(blobs().every((b) => referenced.has(b.slice(-64)))).toBe(true);
  const tmp = join(api.registry.store.root, 'tmp');
  expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
}

/** Polls /healthz every 50 ms while `work` runs; the slowest answer, in ms. */
async function slowestHealthz(work: Promise<unknown>): Promise<{ slowest: number; answers: number }> {
  let done = false;
  let slowest = 0;
  let answers = 0;
  const poll = (async () => {
    while (!done) {
      const t = performance.now();
      const res = await fetch(`${api.server.url}/healthz`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      slowest = Math.max(slowest, performance.now() - t);
      answers++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await work.finally(() => {
    done = true;
  });
  await poll;
  return { slowest, answers };
}

beforeAll(async () => {
  api = await startTestApi({ modelRoots: [root] });
});
afterAll(async () => {
  await api?.close();
});

describe('files that are not regular files', () => {
  for (const name of ['config.json', 'model.safetensors', 'tokenizer.json']) {
    it(`a FIFO named ${name} is refused at once, and the server keeps answering`, async () => {
      const dir = copyModel(`fifo-${name}`);
      execFileSync('rm', [join(dir, name)]);
      execFileSync('mkfifo', [join(dir, name)]);
      // Eight at once: a FIFO opened for reading would hold a libuv thread each (there are four).
      const attempts = Promise.all(Array.from({ length: 8 }, (_, i) => register(dir, `fifo/${name.replace(/\W/g, '-')}-${i}`)));
      const { slowest } = await slowestHealthz(attempts);
      expect(slowest).toBeLessThan(1000);
      for (const r of await attempts) {
        expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(r.errors?.[0]?.message).toMatch(new RegExp(`${name.replace('.', '\\.')}: not a regular file`));
        expect(r.ms).toBeLessThan(5000);
      }
      await expectNothingLeft(0);
    });
  }

  it('a FIFO as a data file is refused when the job is asked for', async () => {
    const dir = copyModel('for-data');
    await api.register(dir, 'files/for-data');
    execFileSync('mkfifo', [join(root, 'eval.fifo')]);
    const r = await api.gql('mutation($t: [EvaluationTaskInput!]!) { evaluateModel(model: "files/for-data", tasks: $t) { id } }', {
      t: [{ task: 'perplexity', data: join(root, 'eval.fifo') }],
    });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tasks.0.data' });
    expect(r.errors?.[0]?.message).toMatch(/is not a regular file/);
    expect(await api.db.prisma.job.count()).toBe(0);
  });

  it('/healthz answers within 1 s while a registration reads a slow (512 MiB) file', async () => {
    const dir = copyModel('slow');
    // A sparse README.md: reading and hashing it takes seconds, on libuv's threads.
    truncateSync(join(dir, 'README.md'), 512 * 1024 * 1024);
    const registering = register(dir, 'files/slow');
    const { slowest, answers } = await slowestHealthz(registering);
    const r = await registering;
    expect(r.errors).toBeUndefined();
    expect(answers).toBeGreaterThan(5);
    expect(slowest).toBeLessThan(1000);
  });
});

describe('a config that does not fit its tensors', () => {
  it('num_hidden_layers 1,000,000,000: BAD_USER_INPUT in milliseconds, through the API and the core (bonsai inspect)', async () => {
    const dir = copyModel('billion-layers');
    editJson(join(dir, 'config.json'), (c) => {
      c.num_hidden_layers = 1_000_000_000;
    });
    const before = await api.db.prisma.model.count();
    const r = await register(dir, 'files/billion');
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(/num_hidden_layers is 1000000000, but the tensors hold 6 layers/);
    expect(r.ms).toBeLessThan(2000);
    const t = performance.now();
    await expect(inspectCheckpoint(dir)).rejects.toThrow(/num_hidden_layers is 1000000000, but the tensors hold 6 layers/);
    expect(performance.now() - t).toBeLessThan(2000);
    await expectNothingLeft(before);
  });

  it('a config alone (no tensors to compare with) is bounded before anything is allocated', () => {
    const config = JSON.parse(readFileSync(join(sharedModel, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(() => parseArchitecture({ ...config, num_hidden_layers: 1e9 }, 'config.json')).toThrow(
      /num_hidden_layers must be at most 4,096/,
    );
    expect(() => parseArchitecture({ ...config, vocab_size: 2 ** 40 }, 'config.json')).toThrow(/vocab_size must be at most 16,777,216/);
    expect(() => parseArchitecture({ ...config, num_hidden_layers: 1e9 }, 'config.json')).toThrow(CheckpointError);
  });
});

describe('JSON nested past the policy (serde_json: 128 levels) or against the format', () => {
  const withoutMetadata = (h: Record<string, unknown>) => {
    const { __metadata__: _, ...tensors } = h;
    return JSON.stringify(tensors).slice(1);
  };
  const cases: Array<[string, (dir: string) => void, RegExp]> = [
    [
      'config.json with a key nested 200,000 deep',
      (dir) => {
        const file = join(dir, 'config.json');
        const text = readFileSync(file, 'utf8');
        writeFileSync(file, `{"deep": ${deep(200_000)}, ${text.slice(text.indexOf('{') + 1)}`);
      },
      /config\.json: nested more than 128 levels deep/,
    ],
    [
      'a safetensors __metadata__ nested 100,000 deep',
      (dir) => editHeader(join(dir, 'model.safetensors'), (h) => `{"__metadata__": {"format": ${deep(100_000)}}, ${withoutMetadata(h)}`),
      /model\.safetensors: header is nested more than 128 levels deep/,
    ],
    [
      'a safetensors __metadata__ that is not a flat map of strings',
      (dir) => editHeader(join(dir, 'model.safetensors'), (h) => `{"__metadata__": {"format": {"pt": "yes"}}, ${withoutMetadata(h)}`),
      /model\.safetensors: __metadata__\.format must be a string, got object/,
    ],
    [
      'generation_config.json that is not UTF-8',
      (dir) => writeFileSync(join(dir, 'generation_config.json'), Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])),
      /generation_config\.json: not UTF-8 text/,
    ],
  ];
  for (const [what, mutate, message] of cases) {
    it(`${what}: BAD_USER_INPUT naming the file, in milliseconds, nothing stored; bonsai inspect's core says the same`, async () => {
      const dir = copyModel(`json-${what.replace(/\W+/g, '-')}`);
      mutate(dir);
      const before = await api.db.prisma.model.count();
      const r = await register(dir, `json/${what.replace(/\W+/g, '-').slice(0, 60)}`);
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.message).toMatch(message);
      expect(r.ms).toBeLessThan(2000);
      await expect(inspectCheckpoint(dir)).rejects.toThrow(message);
      await expectNothingLeft(before);
    });
  }
});

describe('a safetensors header entry with a duplicated field', () => {
  it('is refused, as the reference implementation does (serde: duplicate field)', async () => {
    // Written by hand: one F32 tensor whose entry names its dtype twice.
    const header = '{"w":{"dtype":"F32","dtype":"BF16","shape":[1],"data_offsets":[0,4]}}';
    const file = join(outside, 'dup.safetensors');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(file, Buffer.concat([len, Buffer.from(header), Buffer.alloc(4)]));
    await expect(SafetensorsFile.open(file)).rejects.toThrow(SafetensorsError);
    await expect(SafetensorsFile.open(file)).rejects.toThrow(/\(tensor w\): duplicate field "dtype"/);
  });

  it('in a registered checkpoint: BAD_USER_INPUT, nothing stored', async () => {
    const dir = copyModel('dup-dtype');
    const file = join(dir, 'model.safetensors');
    const bytes = readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = bytes.subarray(8, 8 + n).toString('utf8');
    const edited = header.replace('"dtype":"BF16"', '"dtype":"F32","dtype":"BF16"');
    expect(edited).not.toBe(header);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(edited)));
    writeFileSync(file, Buffer.concat([len, Buffer.from(edited), bytes.subarray(8 + n)]));
    const before = await api.db.prisma.model.count();
    const r = await register(dir, 'files/dup');
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(/duplicate field "dtype"/);
    await expectNothingLeft(before);
  });
});

describe('tokenizers that cannot serve the model are refused at registration', () => {
  const cases: Array<[string, (dir: string) => void, RegExp]> = [
    [
      'a merge whose result is not in the vocabulary',
      (dir) =>
        editJson(join(dir, 'tokenizer.json'), (t) => {
          const model = t.model as { vocab: Record<string, number>; merges: string[] };
          const [a, b] = model.merges[0]!.split(' ');
          delete model.vocab[`${a}${b}`];
        }),
      /tokenizer\.json: model\.merges\[0\] uses "▁t", which is not in model\.vocab/,
    ],
    [
      'an added token beyond the embedding',
      (dir) =>
        editJson(join(dir, 'tokenizer.json'), (t) => {
          (t.added_tokens as Array<{ id: number }>)[0]!.id = 40_000;
        }),
      /added token "<unk>" has id 40000, but the model has 32000 embedding rows/,
    ],
    [
      'a vocabulary id beyond the embedding',
      (dir) =>
        editJson(join(dir, 'tokenizer.json'), (t) => {
          (t.model as { vocab: Record<string, number> }).vocab.zzzz = 32_000;
        }),
      /token "zzzz" has id 32000, but the model has 32000 embedding rows/,
    ],
    [
      'a bos_token_id the tokenizer does not have',
      (dir) =>
        editJson(join(dir, 'config.json'), (c) => {
          c.bos_token_id = 99_999;
        }),
      /config\.json: bos_token_id 99999 is not a token of tokenizer\.json/,
    ],
    [
      'a bos_token the tokenizer does not have',
      (dir) =>
        editJson(join(dir, 'tokenizer_config.json'), (c) => {
          c.bos_token = '<no such token>';
        }),
      /tokenizer_config\.json: bos_token "<no such token>" is not a token of tokenizer\.json/,
    ],
    [
      'tokenizer.json that is not JSON',
      (dir) => writeFileSync(join(dir, 'tokenizer.json'), '{"model": '),
      /tokenizer\.json: not valid JSON/,
    ],
    [
      'tokenizer.json that is not UTF-8',
      (dir) => {
        const file = join(dir, 'tokenizer.json');
        const bytes = readFileSync(file);
        // A Latin-1 "é" (0xE9) where "▁" (three UTF-8 bytes) was.
        const at = bytes.indexOf('"▁t"');
        writeFileSync(file, Buffer.concat([bytes.subarray(0, at + 1), Buffer.from([0xe9]), bytes.subarray(at + 4)]));
      },
      /tokenizer\.json: not UTF-8 text/,
    ],
    [
      'tokenizer.json with a key nested 200,000 deep',
      (dir) => {
        const file = join(dir, 'tokenizer.json');
        const text = readFileSync(file, 'utf8');
        writeFileSync(file, `{"deep": ${deep(200_000)}, ${text.slice(text.indexOf('{') + 1)}`);
      },
      /tokenizer\.json: nested more than 128 levels deep/,
    ],
    [
      'a Metaspace decoder whose replacement is empty',
      (dir) =>
        editJson(join(dir, 'tokenizer.json'), (t) => {
          t.decoder = { type: 'Metaspace', replacement: '', prepend_scheme: 'always', split: true };
        }),
      /tokenizer\.json: decoder\.replacement must be exactly one character \(got ""\)/,
    ],
    [
      'a model type the library does not know',
      (dir) =>
        editJson(join(dir, 'tokenizer.json'), (t) => {
          (t.model as { type: string }).type = 'Nonsense';
        }),
      /tokenizer\.json: model\.type "Nonsense" is not one of BPE, Unigram, WordPiece, WordLevel/,
    ],
  ];
  for (const [what, mutate, message] of cases) {
    it(what, async () => {
      const dir = copyModel(`tok-${what.replace(/\W+/g, '-')}`);
      mutate(dir);
      const before = await api.db.prisma.model.count();
      const r = await register(dir, `tok/${what.replace(/\W+/g, '-').slice(0, 60)}`);
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.message).toMatch(message);
      await expectNothingLeft(before);
    });
  }

  it('the unmodified tokenizer registers', async () => {
    const r = await register(copyModel('tok-ok'), 'tok/ok');
    expect(r.errors).toBeUndefined();
  });
});

describe('data paths: containment is checked before existence', () => {
  const SPAWN = 'mutation($r: PruningRecipeInput!) { spawnPrunedVariant(parent: "tok/ok", recipe: $r) { job { id } } }';
  const corpus = (file: string) => ({ vocab: { corpus: [file] } });

  it('an existing and a missing file outside the roots get the same answer', async () => {
    writeFileSync(join(outside, 'exists.txt'), 'secret\n');
    const existing = await api.gql(SPAWN, { r: corpus(join(outside, 'exists.txt')) });
    const missing = await api.gql(SPAWN, { r: corpus(join(outside, 'missing.txt')) });
    for (const r of [existing, missing]) expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'recipe.corpus.0' });
    const strip = (m: string | undefined) => m?.replace(/exists\.txt|missing\.txt/, 'FILE');
    expect(strip(existing.errors?.[0]?.message)).toBe(strip(missing.errors?.[0]?.message));
    expect(existing.errors?.[0]?.message).toMatch(/is outside the allowed roots/);
  });

  it('a missing file inside the roots is reported as missing', async () => {
    const r = await api.gql(SPAWN, { r: corpus(join(root, 'missing.txt')) });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'recipe.corpus.0' });
    expect(r.errors?.[0]?.message).toMatch(/does not exist/);
  });

  it('a data file over the 256 MiB limit is refused before a job is queued', async () => {
    const big = join(root, 'big.txt');
    writeFileSync(big, 'x\n');
    truncateSync(big, 256 * 1024 * 1024 + 1);
    const r = await api.gql(SPAWN, { r: corpus(big) });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'recipe.corpus.0' });
    expect(r.errors?.[0]?.message).toMatch(/268,435,457 bytes; data files may have at most 268,435,456/);
  });
});

describe('server paths in jobs are shown to maintainers only', () => {
  it('anonymous callers and readers see them relative to the import root, or not at all', async () => {
    const model = await api.db.prisma.model.findFirstOrThrow({ where: { name: 'ok' } });
    const dataPath = join(root, 'kjv', 'train.txt');
    const storePath = join(api.registry.store.root, 'tmp', 'job-1', 'model.safetensors');
    const job = await api.db.prisma.job.create({
      data: {
        kind: 'EVALUATE',
        status: 'FAILED',
        modelId: model.id,
        payload: { request: { task: 'perplexity', data: dataPath } },
        error: `recipe.calibration: ${dataPath} is empty; ${storePath}: truncated at /usr/lib/node/x.js:1:2`,
        logTail: [`reading ${dataPath}`, `writing ${storePath}`],
      },
    });
    const Q = 'query($id: ID!) { node(id: $id) { ... on Job { error logTail payload } } }';
    const { toGlobalId } = await import('../../graphql/globalId.js');
    const id = toGlobalId('Job', job.id);
    for (const token of [null, api.tokens.READER]) {
      const r = await api.gql<{ node: { error: string; logTail: string[]; payload: { request: { data: string } } } }>(Q, { id }, token);
      const text = JSON.stringify(r.data);
      expect(text).not.toContain(root);
      expect(text).not.toContain(api.registry.store.root);
      expect(text).not.toContain('/usr/lib');
      expect(r.data?.node.error).toBe(
        'recipe.calibration: <import root>/kjv/train.txt is empty; <artifact store>/tmp/job-1/model.safetensors: truncated at <server path>:1:2',
      );
      expect(r.data?.node.logTail).toEqual(['reading <import root>/kjv/train.txt', 'writing <artifact store>/tmp/job-1/model.safetensors']);
      expect(r.data?.node.payload.request.data).toBe('<import root>/kjv/train.txt');
    }
    const maintainer = await api.gql<{ node: { error: string; payload: { request: { data: string } } } }>(Q, { id }, api.tokens.MAINTAINER);
    expect(maintainer.data?.node.error).toContain(dataPath);
    expect(maintainer.data?.node.payload.request.data).toBe(dataPath);
  });
});
