import type { PrismaClient } from '../db/client.js';

export interface DatabaseHealth {
  ok: boolean;
  latencyMs: number | null;
}

export async function checkDatabase(prisma: PrismaClient): Promise<DatabaseHealth> {
  const started = performance.now();
  try {
    await prisma.$queryRaw`SELECT 1`;
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch {
    return { ok: false, latencyMs: null };
  }
}
