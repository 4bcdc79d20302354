// The path redactor for callers without a maintainer token (src/registry/redact.ts): file URLs of
// ESM stack frames, `x:/…` and paths with `..` parts are redacted too (issue 26's hardening,
// attacker item 4). Generated texts use fast-check with a fixed seed (BONSAI_FC_SEED replays another).
import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../../src/registry/redact.js';

const SEED = Number(process.env.BONSAI_FC_SEED ?? 20261204);
const redact = makeRedactor({ modelRoots: ['/roots/models/'], storeRoots: ['/srv/bonsai/artifacts'] });

describe('makeRedactor', () => {
  it.each([
    ['an ESM stack frame', 'at run (file:///srv/bonsai/workers/entry.mjs:12:5)', 'at run (<server path>:12:5)'],
    ['a file URL under a root', 'file:///roots/models/data/x.txt', '<import root>/data/x.txt'],
    ['a drive-like prefix', 'x:/srv/bonsai/a/b', 'x:<server path>'],
    ['a file: URL without a host', 'file:/srv/bonsai/a/b', 'file:<server path>'],
    ['.. out of a root', 'reading /roots/models/../outside/secret failed', 'reading <server path> failed'],
    ['.. that stays inside', '/roots/models/a/../data/b.txt: not UTF-8', '<import root>/data/b.txt: not UTF-8'],
    ['. parts in the store', '/srv/bonsai/./artifacts/tmp/job-1/x', '<artifact store>/tmp/job-1/x'],
    ['a root given with a trailing slash', '/roots/models/kjv/train.txt', '<import root>/kjv/train.txt'],
  ])('%s', (_what, text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it.each([
    'http://127.0.0.1:4000/api/models/a/b',
    'https://huggingface.co/org/name/resolve/main/config.json',
    'hf://org/name@main',
    'data/kjv-val.txt and ../relative/path',
  ])('leaves %s as it is', (text) => {
    expect(redact(text)).toBe(text);
  });

  it('a path is shown relative to a root only when it lies in it, however it is written', () => {
    const segment = fc.constantFrom('work', 'main', 'a', 'b.txt', '..', '.', 'roots', 'models', 'srv');
    const wrapper = fc.constantFrom(
      (p: string) => p,
      (p: string) => `file://${p}`,
      (p: string) => `FILE://${p}:3:9`,
      (p: string) => `x:${p}`,
      (p: string) => `at f (${p}:1:2)`,
      (p: string) => `"${p}"`,
      (p: string) => `Error: ${p}, then`,
    );
    fc.assert(
      fc.property(fc.array(segment, { minLength: 0, maxLength: 6 }), wrapper, (parts, wrap) => {
        const path = `/${[...parts, 'SECRETDIR', 'secret.txt'].join('/')}`;
        const out = redact(wrap(path));
        // Shown only relative to a root it really lies in (path.posix.normalize as the reference).
        const real = posix.normalize(path);
        const root = ['/roots/models/', '/srv/bonsai/artifacts/'].find((r) => real.startsWith(r));
        if (root) expect(out).toContain(`>/${real.slice(root.length)}`);
        else expect(out).not.toContain('SECRETDIR');
        expect(out).not.toMatch(/>\/(\.\.?\/|.*\/\.\.?\/)/);
      }),
      { seed: SEED, numRuns: 400, endOnFailure: true },
    );
  });
});
