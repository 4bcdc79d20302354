import type { RegistryDeps } from './deps.js';

export interface DatabaseHealth {
  ok: boolean;
  latencyMs: number | null;
}

export async function checkDatabase(deps: Pick<RegistryDeps, 'prisma'>): Promise<DatabaseHealth> {
  const started = performance.now();
  try {
    await deps.prisma.$queryRaw`SELECT 1`;
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch {
    return { ok: false, latencyMs: null };
  }
}
