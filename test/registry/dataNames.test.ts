// The server finds a relative data-file name under the import roots only (src/registry/dataNames.ts
// locateUnderRoots), never in its own working folder: a dangling link and a link to an existing
// outside file get the same answer, no answer shows the server's folder, and a file of the
// server's folder (package.json) never shadows the root's.
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { locateDataFile, locateUnderRoots } from '../../src/registry/dataNames.js';
import { resolveDataFile } from '../../src/registry/importPath.js';
import { tempDir } from '../helpers/tmp.js';

const first = tempDir('bonsai-names-a-');
const second = tempDir('bonsai-names-b-');
const outside = tempDir('bonsai-names-out-');
mkdirSync(join(first, 'data'));
mkdirSync(join(second, 'data'));
writeFileSync(join(outside, 'secret.txt'), 'secret\n');
symlinkSync(join(outside, 'secret.txt'), join(first, 'data', 'existingout.txt'));
symlinkSync(join(outside, 'missing.txt'), join(first, 'data', 'danglingout.txt'));
writeFileSync(join(second, 'data', 'only-second.txt'), 'text\n');
// Also in the second root: the first root's dangling link must still be the one answered.
writeFileSync(join(second, 'data', 'danglingout.txt'), 'text\n');
writeFileSync(join(second, 'package.json'), 'not the server’s package.json\n');
const roots = [first, second];

async function answer(name: string) {
  return resolveDataFile(name, roots, 'recipe.calibration').then(
    (real) => ({ real }),
    (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
  );
}

describe('resolveDataFile with a relative name', () => {
  it('a dangling link out and a link to an existing outside file get the same answer, naming a path under the root', async () => {
    const dangling = await answer('data/danglingout.txt');
    const existing = await answer('data/existingout.txt');
    expect(dangling).toEqual({ code: 'FORBIDDEN', message: expect.stringContaining(join(first, 'data', 'danglingout.txt')) });
    expect({ ...dangling, message: (dangling as { message: string }).message.replace('danglingout', 'X') }).toEqual({
      ...existing,
      message: (existing as { message: string }).message.replace('existingout', 'X'),
    });
    for (const a of [dangling, existing]) expect(JSON.stringify(a)).not.toContain(process.cwd());
  });

  it('a name in the server’s working folder (package.json) is looked up under the roots, not there', async () => {
    expect(await answer('package.json')).toEqual({ real: realpathSync(join(second, 'package.json')) });
    // A name no root holds: the error names the first root's candidate, not the server's folder.
    const missing = await answer('src/index.ts');
    expect(missing).toEqual({ code: 'BAD_USER_INPUT', message: `recipe.calibration: ${join(first, 'src', 'index.ts')} does not exist` });
  });

  it('the first root holding the name wins', async () => {
    expect(await answer('data/only-second.txt')).toEqual({ real: realpathSync(join(second, 'data', 'only-second.txt')) });
    expect(await locateUnderRoots('data/danglingout.txt', roots)).toBe(join(first, 'data', 'danglingout.txt'));
  });

  it('the CLI still takes a name as written first (its user’s own folder)', async () => {
    expect(await locateDataFile('package.json', roots)).toBe(join(process.cwd(), 'package.json'));
  });
});
