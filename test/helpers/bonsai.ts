// Runs the real `bonsai` command in a child process, as a user would.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './tmp.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface BonsaiProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output once `pattern` appears; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

// Servers announce themselves to the CLI under $XDG_STATE_HOME/bonsai: one folder per test file,
// so tests neither see the developer's servers nor each other's.
const stateHome = tempDir('bonsai-state-');
// Where a run without a cwd of its own starts: the file's scratch, not the checkout, whose
// ./.bonsai (BONSAI_HOME's default) a prune or eval without BONSAI_HOME would otherwise fill.
const scratchCwd = tempDir('bonsai-cwd-');

export function runBonsai(args: string[], env: Record<string, string>, options: { cwd?: string } = {}): BonsaiProcess {
  // The installed executable (tsx registered from its own folder), so any cwd works.
  const child = spawn(process.execPath, [join(repoRoot, 'src', 'cli', 'bonsai.mjs'), ...args], {
    cwd: options.cwd ?? scratchCwd,
    env: { ...process.env, DATABASE_URL: '', XDG_STATE_HOME: stateHome, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      for (const l of listeners) l();
    });
  });
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`));
        }, timeoutMs);
        const check = () => {
          if (pattern.test(out)) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve(out);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(new Error(`bonsai exited (${child.exitCode ?? child.signalCode}) before ${pattern}; output:\n${out}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
  };
}
