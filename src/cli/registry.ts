// One way for command-line tools to reach the registry (token, register, export, prune
// OWNER/NAME): the registry `registryConfig` finds (said on stderr, so nobody is surprised by
// which one), its database joined or started, migrations applied, and the same services the
// server uses, without a job queue.
import { createPrismaClient } from '../db/client.js';
import { openDatabase } from '../db/database.js';
import { applyMigrations } from '../db/migrations.js';
import { createLogger } from '../log.js';
import { type RegistryDeps, registryDeps } from '../registry/deps.js';
import { registryConfig } from './servers.js';

export async function withRegistry<T>(scope: string, work: (deps: RegistryDeps) => Promise<T>): Promise<T> {
  const { config, using } = registryConfig();
  process.stderr.write(`bonsai: using ${using}\n`);
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, scope);
  const database = await openDatabase(config, log, { join: true });
  try {
    await applyMigrations(database.url, log);
    const prisma = createPrismaClient(database.url, { poolSize: 2 });
    try {
      return await work(registryDeps(config, { prisma, queue: null, log }));
    } finally {
      await prisma.$disconnect();
    }
  } finally {
    await database.stop();
  }
}
