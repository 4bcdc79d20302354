// followInside (src/formats/roots.ts): where a path really leads, decided without looking outside
// the roots, and the confined opener built on it (src/formats/regularFile.ts).
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type OutsideRootsError, openRegular, readRegularFile } from '../../src/formats/regularFile.js';
import { followInside } from '../../src/formats/roots.js';
import { tempDir } from '../helpers/tmp.js';

const base = tempDir('bonsai-roots-');
const root = join(base, 'root');
const out = join(base, 'out');
/** The root as an administrator may give it: a link to the real folder. */
const linkedRoot = join(base, 'linked-root');

beforeAll(() => {
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  mkdirSync(out);
  writeFileSync(join(root, 'a', 'b', 'file.json'), '{}');
  writeFileSync(join(out, 'secret'), 'secret');
  symlinkSync(root, linkedRoot);
  const links: Array<[string, string]> = [
    [join(root, 'a', 'b', 'file.json'), 'abs'],
    ['b/file.json', 'a/rel'],
    [join(root, 'abs'), 'chain'],
    [join(root, 'a'), 'dir'],
    [join(out, 'secret'), 'out'],
    [join(out, 'missing'), 'out-missing'],
    [join(root, 'missing'), 'in-missing'],
    ['../out/secret', 'climb'],
    ['../root/a/b/file.json', 'climb-back'],
    [out, 'out-dir'],
    ['loop-b', 'loop-a'],
    ['loop-a', 'loop-b'],
    ['/dev/zero', 'dev'],
  ];
  for (const [target, name] of links) symlinkSync(target, join(root, name));
});

describe('followInside', () => {
  it.each([
    ['an absolute link inside', 'abs'],
    ['a relative link inside', 'a/rel'],
    ['a chain of links inside', 'chain'],
    ['a path through a linked folder', 'dir/b/file.json'],
    ['a link whose target climbs out of the root and back in', 'climb-back'],
  ])('%s resolves to the real file', async (_, path) => {
    expect(await followInside(join(root, path), [root])).toEqual({ kind: 'inside', real: join(root, 'a', 'b', 'file.json') });
    // The same through a root given as a link.
    expect(await followInside(join(linkedRoot, path), [linkedRoot])).toEqual({ kind: 'inside', real: join(root, 'a', 'b', 'file.json') });
  });

  it.each([
    ['a link to an existing outside file', 'out'],
    ['a link to a missing outside file', 'out-missing'],
    ['a relative link climbing out', 'climb'],
    ['a file under a linked outside folder', 'out-dir/secret'],
    ['a missing file under a linked outside folder', 'out-dir/nothing'],
    ['a link to a device', 'dev'],
  ])('%s is outside, the same answer whether or not it exists', async (_, path) => {
    expect(await followInside(join(root, path), [root])).toEqual({ kind: 'outside', lexically: false });
  });

  it('a path outside as written, a dangling link inside, a loop', async () => {
    expect(await followInside(join(out, 'secret'), [root])).toEqual({ kind: 'outside', lexically: true });
    expect(await followInside(join(root, 'in-missing'), [root])).toEqual({ kind: 'missing' });
    expect(await followInside(join(root, 'loop-a'), [root])).toEqual({ kind: 'loop' });
  });
});

describe('the confined opener', () => {
  it('reads a file inside the roots, through links', async () => {
    expect((await readRegularFile(join(root, 'chain'), 100, { roots: [root] })).toString()).toBe('{}');
  });

  it('refuses links out with one answer, FORBIDDEN, and opens nothing outside', async () => {
    const answers = await Promise.all(
      ['out', 'out-missing', 'out-dir/secret', 'dev'].map((p) =>
        openRegular(join(root, p), { roots: [root], field: 'path' }).then(
          () => null,
          (err: OutsideRootsError) => [err.constructor.name, err.code, err.message.replace(join(root, p), join(root, '<p>'))],
        ),
      ),
    );
    for (const a of answers)
      expect(a).toEqual([
        'OutsideRootsError',
        'FORBIDDEN',
        `path: ${join(root, '<p>')} leads outside the allowed roots through a symbolic link`,
      ]);
  });

  it('without roots (Bonsai reading its own files) follows links as before', async () => {
    expect((await readRegularFile(join(root, 'out'), 100)).toString()).toBe('secret');
  });
});
