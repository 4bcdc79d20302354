// `bonsai token create|list|revoke`: token management from the machine that runs the server,
// which is how the first admin token is made (the API needs a token to create tokens).
import type { PrismaClient } from '../db/client.js';
import { BadInputError } from '../errors.js';
import { createToken, revokeToken, type TokenRole } from '../registry/tokens.js';
import { withRegistry } from './registry.js';

const ROLES: Record<string, TokenRole> = { reader: 'READER', maintainer: 'MAINTAINER', admin: 'ADMIN' };

function withDatabase<T>(work: (prisma: PrismaClient) => Promise<T>): Promise<T> {
  return withRegistry('token', (deps) => work(deps.prisma));
}

export async function tokenCreate(opts: { role: string; name: string; expiresInDays?: number }): Promise<void> {
  const role = ROLES[opts.role.toLowerCase()];
  if (!role) throw new BadInputError('--role', `must be one of ${Object.keys(ROLES).join(', ')}`);
  const expiresAt = opts.expiresInDays ? new Date(Date.now() + opts.expiresInDays * 86_400_000) : null;
  const { secret } = await withRegistry('token', (deps) => createToken(deps, { name: opts.name, role, expiresAt }));
  process.stderr.write(`created ${role.toLowerCase()} token "${opts.name}"; it is shown only once:\n`);
  process.stdout.write(`${secret}\n`);
}

export async function tokenList(): Promise<void> {
  const rows = await withDatabase((prisma) => prisma.apiToken.findMany({ orderBy: { createdAt: 'asc' } }));
  for (const t of rows) {
    const state = t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt < new Date() ? 'expired' : 'active';
    process.stdout.write(`${t.id}  ${t.prefix}…  ${t.role.toLowerCase().padEnd(10)} ${state.padEnd(8)} ${t.name}\n`);
  }
}

export async function tokenRevoke(id: string): Promise<void> {
  await withRegistry('token', (deps) => revokeToken(deps, id));
  process.stdout.write(`revoked ${id}\n`);
}
