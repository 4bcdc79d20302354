import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireFolderLock, DataFolderLockedError } from '../../src/db/lock.js';

const folders: string[] = [];
function folder(): string {
  const f = mkdtempSync(join(tmpdir(), 'bonsai-lock-'));
  folders.push(f);
  return f;
}
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

function writeLock(dir: string, pid: number): void {
  writeFileSync(join(dir, 'bonsai.lock'), JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }));
}

describe('data folder lock', () => {
  it('refuses a folder held by a live process, naming the process and BONSAI_HOME', () => {
    const dir = folder();
    const holder = spawn('sleep', ['30']);
    try {
      writeLock(dir, holder.pid!);
      let caught: unknown;
      try {
        acquireFolderLock(dir);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(DataFolderLockedError);
      expect((caught as Error).message).toContain(`process ${holder.pid}`);
      expect((caught as DataFolderLockedError).details.field).toBe('BONSAI_HOME');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('takes over a lock left by a process that was killed', () => {
    const dir = folder();
    const dead = spawnSync('sh', ['-c', 'echo $$']);
    writeLock(dir, Number(dead.stdout.toString().trim()));
    const lock = acquireFolderLock(dir);
    expect(existsSync(lock.path)).toBe(true);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });
});
