// An exclusive lock on a data folder, so two Bonsai processes never run one embedded Postgres
// cluster. The lock file names its owner's pid: a lock left by a process that was killed with
// SIGKILL is recognised as stale and taken over, which a time-based lock could not do at once.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BonsaiError } from '../errors.js';
import { pidAlive } from './pid.js';

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface FolderLock {
  readonly path: string;
  release(): void;
}

export class DataFolderLockedError extends BonsaiError {
  constructor(folder: string, owner: LockOwner) {
    super(
      'DATA_FOLDER_LOCKED',
      `the data folder ${folder} is in use by process ${owner.pid} on ${owner.host} (since ${owner.startedAt}); ` +
        'stop that process first, or set BONSAI_HOME to another folder',
      { field: 'BONSAI_HOME', folder, ownerPid: owner.pid },
    );
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { pid: parsed.pid, host: parsed.host, startedAt: String(parsed.startedAt ?? 'unknown') };
    }
  } catch {
    // Unreadable or half-written: treated as stale below.
  }
  return undefined;
}

export function acquireFolderLock(folder: string, name = 'bonsai.lock'): FolderLock {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, name);
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        if (readOwner(path)?.pid === me.pid) rmSync(path, { force: true });
      };
      process.on('exit', release);
      return { path, release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner(path);
      // A lock from another host on a shared folder cannot be checked: respect it.
      if (owner && (owner.host !== me.host || (owner.pid !== me.pid && pidAlive(owner.pid)))) {
        throw new DataFolderLockedError(folder, owner);
      }
      rmSync(path, { force: true });
    }
  }
  throw new BonsaiError('DATA_FOLDER_LOCKED', `could not take the lock ${path}`, { field: 'BONSAI_HOME' });
}
