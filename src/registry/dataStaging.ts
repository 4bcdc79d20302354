// A job's private copies of its data files (calibration text, corpora, evaluation sets). The job
// checks a file's containment when it resolves the name (src/registry/importPath.ts), but the core
// reads files by path, possibly minutes later (the second corpus file is read after the first is
// counted): a link swapped in between would be followed and a file outside the roots published.
// So each file is copied once, through the confined opener (src/formats/regularFile.ts, which checks
// the open descriptor's real path), into the job's temp folder, and the core is handed only that
// copy, which nobody else can swap (CWE-367, time-of-check to time-of-use). The copy keeps the
// file's basename: the checkpoint and the evaluation rows record basename + sha256.
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { dataFileTooLarge, MAX_DATA_FILE_BYTES } from '../formats/dataFile.js';
import { openRegular } from '../formats/regularFile.js';
import { resolveDataFile } from './importPath.js';

const CHUNK = 1 << 20;

/** Copies what `source` holds to a new file `dest`, at most MAX_DATA_FILE_BYTES (the file may grow while copied). */
async function copyHandle(source: FileHandle, dest: string, label: string, field: string): Promise<void> {
  // O_EXCL: a name already there (it cannot be, the folder is the job's own) is never written through.
  const out = await open(dest, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    const buf = Buffer.alloc(CHUNK);
    let position = 0;
    for (;;) {
      const { bytesRead } = await source.read(buf, 0, CHUNK, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      if (position > MAX_DATA_FILE_BYTES) throw dataFileTooLarge(label, position, field);
      await out.write(buf, 0, bytesRead);
    }
  } catch (err) {
    await out.close();
    await rm(dest, { force: true });
    throw err;
  }
  await out.close();
}

export class DataStaging {
  /** Staged copy by the real path it was copied from: a file named many times is copied once. */
  private readonly byReal = new Map<string, string>();
  /** The name the recipe gave, by staged copy: errors from the core name the user's file. */
  private readonly names = new Map<string, string>();

  constructor(
    private readonly roots: readonly string[],
    /** A folder only this job writes (under its ctx.tmp). */
    private readonly dir: string,
  ) {}

  /** The private copy of data file `name` (checked like resolveDataFile, then copied through the confined opener). */
  async stage(name: string, field: string): Promise<string> {
    const real = await resolveDataFile(name, this.roots, field);
    const known = this.byReal.get(real);
    if (known) return known;
    // One folder per file: two files of the same basename in different folders stay apart.
    const folder = join(this.dir, String(this.byReal.size));
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const dest = join(folder, basename(real));
    const { handle, size } = await openRegular(real, { field, roots: this.roots });
    try {
      if (size > MAX_DATA_FILE_BYTES) throw dataFileTooLarge(name, size, field);
      await copyHandle(handle, dest, name, field);
    } finally {
      await handle.close();
    }
    this.byReal.set(real, dest);
    this.names.set(dest, name);
    return dest;
  }

  /** Runs `work`; an error naming a staged copy is made to name the data file as the recipe did. */
  async naming<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof Error) for (const [dest, name] of this.names) err.message = err.message.split(dest).join(name);
      throw err;
    }
  }
}
