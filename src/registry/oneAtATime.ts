// Calls with the same key, one after the other within this process. Spawns choosing a name from
// one base serialise on a PostgreSQL advisory lock anyway (spawn.ts); queueing them here first
// keeps them from each holding a pooled connection while they wait for it, which left 200
// simultaneous spawns unable to start a transaction within Prisma's maxWait (P2028).
const tails = new Map<string, Promise<unknown>>();

export async function oneAtATime<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = tails.get(key) ?? Promise.resolve();
  // Each call runs after the one before it has settled, whatever its outcome.
  const run = before.then(fn, fn);
  const tail = run.catch(() => {});
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    if (tails.get(key) === tail) tails.delete(key);
  }
}
