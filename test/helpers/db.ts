import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPrismaClient, type PrismaClient } from '../../src/db/client.js';

export interface TestDatabase {
  name: string;
  url: string;
  adminUrl: string;
  prisma: PrismaClient;
  drop(): Promise<void>;
}

export function databaseUrl(name: string): string {
  const u = new URL(inject('adminUrl'));
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A database of its own for one test file, cloned from the migrated template. */
export async function createTestDatabase(options: { empty?: boolean; onQuery?: (sql: string) => void } = {}): Promise<TestDatabase> {
  const name = `bonsai_test_${randomBytes(6).toString('hex')}`;
  const create = options.empty ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`;
  // Two files cloning the template at the same instant can see each other's copy as a user of it.
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(create);
      break;
    } catch (err) {
      if (attempt >= 10 || !/being accessed by other users/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
  const url = databaseUrl(name);
  const prisma = createPrismaClient(url, { poolSize: 4, onQuery: options.onQuery });
  return {
    name,
    url,
    adminUrl: inject('adminUrl'),
    prisma,
    async drop() {
      await prisma.$disconnect();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
