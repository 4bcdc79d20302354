/**
 * Waits for `promise`, or for `ms` at most: for a process or thread to end or a pipe to drain, where
 * one stuck in the kernel must not hold up a shutdown. The timer does not keep Node running.
 */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  await Promise.race([promise, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}
