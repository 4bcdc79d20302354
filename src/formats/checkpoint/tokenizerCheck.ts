// Runs the tokenizer rules (tokenizerRules.ts) in a child process: loading a 30 MB tokenizer.json
// takes seconds of CPU and hundreds of megabytes, and a hostile one (a pre-tokenizer regex that
// backtracks, a 130 MB vocabulary) could take forever or all the memory, so none of it may run in
// the API's process. A worker thread is not enough: its heap is the server's memory, and V8's
// `resourceLimits` do not stop a large allocation inside JSON.parse, which aborts the whole process
// ("Allocation failed - JavaScript heap out of memory", measured with a 132 MB tokenizer.json). The
// child has its own heap bound (--max-old-space-size), is killed after `timeoutMs`, and at most
// MAX_CONCURRENT_CHECKS run at once (later ones wait), so registrations together add at most about
// MAX_CONCURRENT_CHECKS × (CHECK_HEAP_MB + the file's bytes) to the machine, none of it the server's.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledEntry } from '../../bundle.mjs';
import { sha256Of } from '../../sha256.js';
import { NotRegularFileError, openRegular } from '../regularFile.js';
import { CheckpointError, MAX_CONFIG_BYTES } from './folder.js';
import { MAX_TOKENIZER_BYTES, TOKENIZER_CONFIG, TOKENIZER_JSON, tokenizerDigest } from './tokenizerFiles.js';

/** Through tsx: where no bundle can be built. */
const TSX_ENTRY = fileURLToPath(new URL('./tokenizerCheckEntry.mjs', import.meta.url));
/**
 * The child's script: a bundle of tokenizerCheckMain.ts (src/bundle.mjs), looked up for each check
 * (a server keeps running while builds are replaced). A registration starts one child; through tsx
 * it cost 0.23 CPU-s more and, on a loaded 2-core machine, seconds more (issue 28).
 */
const checkEntry = () => bundledEntry('src/formats/checkpoint/tokenizerCheckMain.ts', 'tokenizer-check').catch(() => TSX_ENTRY);

export interface TokenizerCheckOptions {
  timeoutMs?: number;
  /** The check's heap bound in MiB (default CHECK_HEAP_MB). */
  maxHeapMb?: number;
  /** The import roots the tokenizer files' real paths must lie under (src/formats/regularFile.ts). */
  roots?: readonly string[];
}

/**
 * The check's heap bound. Loading Gemma-3's tokenizer.json (33 MB, 262,144 pieces, the largest
 * published) needs about 300 MB; this leaves room for larger real ones, and a file that needs more
 * (tokenizer.json may have up to MAX_TOKENIZER_BYTES) is refused as needing too much.
 */
export const CHECK_HEAP_MB = 768;
/** Checks that may run at once; more wait their turn (their timeout starts when they run). */
export const MAX_CONCURRENT_CHECKS = 2;

let running = 0;
const waiting: Array<() => void> = [];

async function withCheckSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_CHECKS) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

type Answer = { file: string; problem: string } | null;
/** The child's reply: its answer, and the digest of the files' bytes it judged (tokenizerFiles.ts). */
export type CheckReply = { answer: Answer; digest?: string };

/**
 * Verdicts by what was judged: the files' digest, the model's config and the heap bound. A check
 * costs a process and 0.3 CPU-s for a small tokenizer, seconds for Gemma-3's (issue 28: the test
 * suite's registrations); fine-tunes registered one after another mostly share their tokenizer.
 * Kept only when the child judged the very bytes the server hashed just before, so a file swapped
 * in between is never judged by another file's verdict. Timeouts and heap exhaustion depend on
 * the machine's load, and are never kept.
 */
const verdicts = new Map<string, Answer>();
const MAX_VERDICTS = 1_000;

/** Refuses, naming the file and the problem, a tokenizer that cannot serve the model of `config`. */
export function checkTokenizer(dir: string, config: Record<string, unknown>, options: TokenizerCheckOptions = {}): Promise<void> {
  return withCheckSlot(async () => {
    const digest = await filesDigest(dir, options.roots);
    const key =
      digest && `${digest}|${options.maxHeapMb ?? CHECK_HEAP_MB}|${createHash('sha256').update(JSON.stringify(config)).digest('hex')}`;
    let result: Answer;
    if (key && verdicts.has(key)) result = verdicts.get(key)!;
    else {
      const reply = await runCheck(dir, config, options);
      result = reply.answer;
      if (key && reply.digest === digest) {
        if (verdicts.size >= MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value!);
        verdicts.set(key, result);
      }
    }
    if (result) throw new CheckpointError(join(dir, result.file), result.problem);
  });
}

/**
 * The digest of the tokenizer files' bytes as they are now, streamed (never a whole 128 MB file in
 * the server's memory, and the event loop free between chunks); undefined where a file cannot be
 * read as a regular file under the roots or is too large: the check says what is wrong with it.
 */
async function filesDigest(dir: string, roots: readonly string[] | undefined): Promise<string | undefined> {
  const sha = async (name: string, maxBytes: number): Promise<string | null | undefined> => {
    let opened: Awaited<ReturnType<typeof openRegular>>;
    try {
      opened = await openRegular(join(dir, name), { roots });
    } catch (err) {
      return err instanceof NotRegularFileError && err.details.problem === 'missing' ? null : undefined;
    }
    try {
      if (opened.size > maxBytes) return undefined;
      return await sha256Of(opened.handle.createReadStream({ autoClose: false, highWaterMark: 1 << 20 }));
    } finally {
      await opened.handle.close();
    }
  };
  const tokenizer = await sha(TOKENIZER_JSON, MAX_TOKENIZER_BYTES);
  if (!tokenizer) return undefined;
  const config = await sha(TOKENIZER_CONFIG, MAX_CONFIG_BYTES);
  return config === undefined ? undefined : tokenizerDigest(tokenizer, config);
}

async function runCheck(dir: string, config: Record<string, unknown>, options: TokenizerCheckOptions): Promise<CheckReply> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxHeapMb = options.maxHeapMb ?? CHECK_HEAP_MB;
  const child = spawn(process.execPath, [`--max-old-space-size=${maxHeapMb}`, await checkEntry()], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  return new Promise<CheckReply>((resolve, reject) => {
    let answered = false;
    const timer = setTimeout(() => {
      answered = true;
      child.kill('SIGKILL');
      resolve({ answer: { file: 'tokenizer.json', problem: `took more than ${timeoutMs / 1000} s to load and encode a sentence` } });
    }, timeoutMs);
    child.once('message', (m: CheckReply) => {
      answered = true;
      clearTimeout(timer);
      resolve(m);
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      if (!answered) reject(err);
      answered = true;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (answered) return;
      answered = true;
      // Out of memory in the check is the file's fault, not the server's.
      if (/heap out of memory|Allocation failed/.test(stderr))
        resolve({ answer: { file: 'tokenizer.json', problem: `needs more than the ${maxHeapMb} MiB a tokenizer may use to load` } });
      else reject(new Error(`the tokenizer check exited with ${signal ?? `code ${code}`}: ${stderr.trim().slice(-1000)}`));
    });
    child.send({ dir, config, roots: options.roots });
  });
}
