// Shard names in model.safetensors.index.json follow the file-name rule of the Hub commit route
// (src/formats/fileNames.ts): a name the commit route would refuse (CR/LF, other control
// characters, slashes, `..`, over 255 bytes) is BAD_CHECKPOINT at registration, naming the index
// and the shard. Generated names use fast-check with a fixed seed (BONSAI_FC_SEED replays another).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointTensors, INDEX_FILE, parseIndex } from '../../src/formats/checkpoint/tensors.js';
import { checkRepoPath } from '../../src/registry/hubCommitBody.js';
import { tempDir } from '../helpers/tmp.js';

const SEED = Number(process.env.BONSAI_FC_SEED ?? 20261204);
const index = (shard: string) => Buffer.from(JSON.stringify({ weight_map: { 'model.embed_tokens.weight': shard } }));
const refusal = (shard: string) => {
  try {
    parseIndex(index(shard), INDEX_FILE);
    return null;
  } catch (e) {
    return e as { code: string; message: string };
  }
};

describe('shard names in the index', () => {
  it.each([
    ['CR/LF (a header injection on download)', 'a\r\nSet-Cookie: x=1.safetensors'],
    ['a tab', 'a\tb.safetensors'],
    ['NUL', 'a\u0000.safetensors'],
    ['a backslash', 'a\\b.safetensors'],
    ['a slash', 'sub/a.safetensors'],
    ['..', '..'],
    ['a leading dot', '.hidden.safetensors'],
    ['256 bytes', `${'é'.repeat(124)}.safetensors`],
  ])('%s is BAD_CHECKPOINT naming the index and the shard', (_what, shard) => {
    const err = refusal(shard);
    expect(err?.code).toBe('BAD_CHECKPOINT');
    expect(err?.message).toContain(INDEX_FILE);
    expect(err?.message).toContain(JSON.stringify(shard).slice(0, 20));
  });

  it('the names published checkpoints use are accepted (quotes and non-Latin-1 too: downloads use filename*)', () => {
    for (const shard of ['model-00001-of-00002.safetensors', 'модель.safetensors', 'a "quoted" name.safetensors'])
      expect(refusal(shard)).toBeNull();
  });

  it('a registration is refused before any shard is opened', async () => {
    const dir = join(tempDir('bonsai-shards-'), 'ckpt');
    mkdirSync(dir);
    writeFileSync(join(dir, INDEX_FILE), index('a\r\nSet-Cookie: x=1.safetensors'));
    await expect(CheckpointTensors.open(dir, [dir])).rejects.toMatchObject({
      code: 'BAD_CHECKPOINT',
      message: expect.stringMatching(
        /model\.safetensors\.index\.json: shard "a\\r\\nSet-Cookie: x=1\.safetensors" must not contain control characters/,
      ),
    });
  });

  it('a name is accepted in the index exactly when the Hub commit route accepts it as a file at the top of the repository', () => {
    const char = fc.oneof(
      fc.constantFrom('\r', '\n', '\t', '\u0000', '\u001f', '\\', '/', '.', '"', ' ', 'é', '模'),
      fc.string({ minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.array(char, { minLength: 0, maxLength: 12 }), fc.integer({ min: 0, max: 300 }), (chars, pad) => {
        const name = chars.join('') + (pad > 240 ? 'x'.repeat(pad) : '');
        const commit = (() => {
          try {
            checkRepoPath(name, 'path');
            return true;
          } catch {
            return false;
          }
        })();
        // The index also refuses a leading dot (hidden files are not shards) and a slash (a shard is in the folder).
        const expected = commit && !name.startsWith('.') && !name.includes('/');
        expect(refusal(name) === null).toBe(expected);
      }),
      { seed: SEED, numRuns: 300, endOnFailure: true },
    );
  });
});
