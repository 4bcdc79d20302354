// A sha256 computed on another thread. Storing a safetensors file in pieces hashes every byte
// twice (the whole file's sha256, which the registry keys it by, and each tensor piece's); on one
// thread that doubles the CPU time of storing, where storing it whole hashes once. Beside the
// piece hashing, on a second core, the whole file's hash costs no wall time. Chunks are shared
// with the thread (SharedArrayBuffer), not copied, and each buffer is sent once: posting a
// SharedArrayBuffer took about 1 ms a message (bench:store's CPU profile).
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface Hasher {
  /** Hashes `bytes`; resolves once they may be overwritten. */
  update(bytes: Uint8Array): Promise<void>;
  digest(): Promise<string>;
  /** Ends the thread (after digest, or on an error). */
  close(): void;
}

/** Plain CommonJS, so the thread needs no TypeScript loader. */
const THREAD = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
const buffers = [];
parentPort.on('message', (m) => {
  if (m.buffer) buffers[m.slot] = m.buffer;
  if (m.slot !== undefined) {
    hash.update(new Uint8Array(buffers[m.slot], m.offset, m.length));
    parentPort.postMessage({ done: m.id });
  } else parentPort.postMessage({ digest: hash.digest('hex') });
});`;

/** A sha256 on its own thread; `bytes` given to update must lie in a SharedArrayBuffer. */
export function hashThread(): Hasher {
  // Not unref'd: while a digest is awaited the thread may be all that keeps the process running.
  const worker = new Worker(THREAD, { eval: true });
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let digest: { resolve: (hex: string) => void; reject: (err: Error) => void } | undefined;
  let failure: Error | undefined;
  let next = 0;
  const slots = new Map<SharedArrayBuffer, number>();
  const fail = (err: Error) => {
    failure ??= err;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
    digest?.reject(failure);
  };
  worker.on('message', (m: { done?: number; digest?: string }) => {
    if (m.digest !== undefined) digest?.resolve(m.digest);
    else if (m.done !== undefined) {
      waiting.get(m.done)?.resolve();
      waiting.delete(m.done);
    }
  });
  worker.on('error', fail);
  worker.on('exit', () => fail(new Error('the hashing thread exited')));
  return {
    update(bytes) {
      if (failure) return Promise.reject(failure);
      const buffer = bytes.buffer;
      if (!(buffer instanceof SharedArrayBuffer)) throw new Error('hashThread: bytes must lie in a SharedArrayBuffer');
      const id = next++;
      let slot = slots.get(buffer);
      const first = slot === undefined;
      if (slot === undefined) {
        slot = slots.size;
        slots.set(buffer, slot);
      }
      const message = { id, slot, offset: bytes.byteOffset, length: bytes.length, ...(first ? { buffer } : {}) };
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage(message);
      });
    },
    digest() {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        digest = { resolve, reject };
        worker.postMessage({});
      });
    },
    close() {
      failure ??= new Error('the hashing thread was closed');
      void worker.terminate();
    },
  };
}

/** The same on this thread, for files too small to be worth a thread. */
export function hashHere(): Hasher {
  const hash = createHash('sha256');
  return {
    async update(bytes) {
      hash.update(bytes);
    },
    async digest() {
      return hash.digest('hex');
    },
    close() {},
  };
}
