// Reused buffers for the store's streaming writers: fresh ones per chunk cost more in page faults
// than the hashing they feed (bench:store's CPU profile).

/** `count` reused buffers of `size` bytes (shared with a hashing thread when `shared`); `take` waits while all are in use. */
export function bufferPool(size: number, count: number, shared: boolean) {
  const free: Buffer[] = [];
  const waiting: Array<(b: Buffer) => void> = [];
  let made = 0;
  return {
    size,
    async take(): Promise<Buffer> {
      const b = free.pop();
      if (b) return b;
      if (made < count) {
        made++;
        return shared ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafeSlow(size);
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    give(b: Buffer) {
      const w = waiting.shift();
      if (w) w(b);
      else free.push(b);
    },
  };
}
