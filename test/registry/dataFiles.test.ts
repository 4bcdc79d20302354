import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDataFiles } from '../../src/registry/dataFiles.js';
import { tempDir } from '../helpers/tmp.js';

function file(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

describe('listDataFiles', () => {
  it('lists text files under the roots by their root-relative names, never a server path', async () => {
    const a = tempDir('bonsai-data-a-');
    const b = tempDir('bonsai-data-b-');
    const outside = tempDir('bonsai-data-out-');
    file(join(a, 'kjv', 'val.txt'), 'In the beginning');
    file(join(a, 'tasks', 'hellaswag.jsonl'), '{}\n');
    file(join(a, 'tiny-llama', 'config.json'), '{}');
    file(join(a, 'tiny-llama', 'model.safetensors'), 'x');
    file(join(a, '.cache', 'hidden.txt'), 'x');
    file(join(a, 'd1', 'd2', 'd3', 'd4', 'deep.txt'), 'x');
    file(join(a, 'd1', 'd2', 'd3', 'd4', 'd5', 'too-deep.txt'), 'x');
    file(join(b, 'kjv', 'val.txt'), 'a different file of the same name');
    file(join(b, 'de', 'fortunes.TXT'), 'Glück');
    file(join(outside, 'secret.txt'), 'x');
    symlinkSync(join(outside, 'secret.txt'), join(a, 'link.txt'));
    symlinkSync(outside, join(a, 'linked-folder'));

    const files = await listDataFiles({ modelRoots: [a, b, join(a, 'missing-root')] });
    expect(files.map((f) => f.name)).toEqual(['d1/d2/d3/d4/deep.txt', 'de/fortunes.TXT', 'kjv/val.txt', 'tasks/hellaswag.jsonl']);
    // kjv/val.txt is the first root's (16 bytes), the one a lookup under the roots finds.
    expect(files.find((f) => f.name === 'kjv/val.txt')?.size).toBe(16n);
    expect(files.find((f) => f.name === 'de/fortunes.TXT')?.size).toBe(6n);
    for (const f of files) expect(f.name).not.toContain(a);
  });

  it('returns nothing without roots', async () => {
    expect(await listDataFiles({ modelRoots: [] })).toEqual([]);
  });
});
