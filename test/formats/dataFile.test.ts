// readDataFile (src/formats/dataFile.ts), the job processes' reader of evaluation, calibration and
// corpus files: one descriptor, opened without blocking and checked with fstat before it is read.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataFile } from '../../src/formats/dataFile.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('bonsai-data-');

describe('readDataFile', () => {
  it('reads a UTF-8 text file with its sha256', () => {
    writeFileSync(join(dir, 'ok.txt'), 'In the beginning\n');
    const file = readDataFile(join(dir, 'ok.txt'), 'recipe.calibration');
    expect(file.text).toBe('In the beginning\n');
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a FIFO at once instead of waiting for a writer, naming the field', () => {
    execFileSync('mkfifo', [join(dir, 'fifo.txt')]);
    const started = performance.now();
    expect(() => readDataFile(join(dir, 'fifo.txt'), 'recipe.calibration')).toThrow(/recipe\.calibration: .*fifo\.txt is not a file/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('names a missing file, a folder, and text that is not UTF-8', () => {
    expect(() => readDataFile(join(dir, 'nothing.txt'))).toThrow(/data: .*nothing\.txt does not exist/);
    expect(() => readDataFile(dir)).toThrow(/is not a file/);
    writeFileSync(join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect(() => readDataFile(join(dir, 'latin1.txt'))).toThrow(/is not UTF-8 text/);
  });
});
