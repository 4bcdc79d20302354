// API tokens: the secret is shown once and only its sha256 is stored, so a database leak gives no
// usable token. A fixed prefix (`hf_bonsai_`) lets secret scanners recognise a leaked one, and
// starts with `hf_` because the Hub's JavaScript client refuses any other access token
// (huggingface.js, packages/hub/src/utils/checkCredentials.ts), so Bonsai's tokens work with it;
// the `_bonsai_` and the base64url alphabet keep it apart from a real Hugging Face token
// (`hf_` and 34 letters). Tokens made before, `bonsai_…`, still work: only the hash is looked up.
import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '../db/client.js';
import type { TokenRole } from '../db/generated/enums.js';
import { BadInputError, NotFoundError } from '../errors.js';
import type { RegistryDeps } from './deps.js';
import { idOf } from './globalIds.js';
import { REVOKED_CHANNEL, tokenCacheOf } from './tokenCache.js';

export type { TokenRole } from '../db/generated/enums.js';

const RANK: Record<TokenRole, number> = { READER: 0, MAINTAINER: 1, ADMIN: 2 };

export interface Viewer {
  tokenId: string;
  name: string;
  role: TokenRole;
}

export function roleAtLeast(role: TokenRole, needed: TokenRole): boolean {
  return RANK[role] >= RANK[needed];
}

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export async function createToken(
  deps: Pick<RegistryDeps, 'prisma'>,
  input: { name: string; role: TokenRole; expiresAt?: Date | null },
): Promise<{ secret: string; id: string; prefix: string }> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) throw new BadInputError('name', 'must be 1 to 100 characters');
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new BadInputError('expiresAt', 'must be in the future');
  const secret = `hf_bonsai_${randomBytes(24).toString('base64url')}`;
  const prefix = secret.slice(0, 16);
  const row = await deps.prisma.apiToken.create({
    data: { name, role: input.role, tokenHash: hashToken(secret), prefix, expiresAt: input.expiresAt ?? null },
  });
  return { secret, id: row.id, prefix };
}

/**
 * The secret an `Authorization` header carries as `Bearer <secret>` (RFC 6750 §2.1; the scheme
 * name is case-insensitive, RFC 9110 §11.1): undefined without a header, null when the header is
 * something else (a client's mistake that must not pass as anonymous).
 */
export function bearerSecret(authorization: string | null | undefined): string | null | undefined {
  if (!authorization) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1] ?? null;
}

/**
 * The viewer a bearer secret stands for, or null when it is unknown, revoked or expired. Answers
 * come from a few seconds' cache (tokenCache.ts) when they can.
 */
export async function verifyToken(deps: Pick<RegistryDeps, 'prisma'>, secret: string): Promise<Viewer | null> {
  const { prisma } = deps;
  const hash = hashToken(secret);
  const cache = tokenCacheOf<Viewer>(prisma, { listen: true });
  const cached = cache.get(hash);
  if (cached !== undefined) return cached;
  // Requests that miss together (the entry just expired under load) share one lookup.
  return cache.once(hash, () => lookUpToken(prisma, hash));
}

async function lookUpToken(prisma: PrismaClient, hash: string): Promise<Viewer | null> {
  const cache = tokenCacheOf<Viewer>(prisma);
  const epoch = cache.epoch;
  const row = await prisma.apiToken.findUnique({ where: { tokenHash: hash } });
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) {
    cache.set(hash, null, null, epoch);
    return null;
  }
  // Last use is informational: a minute's precision saves a write on every request.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  const viewer = { tokenId: row.id, name: row.name, role: row.role };
  cache.set(hash, viewer, row.expiresAt, epoch);
  return viewer;
}

/** `token`: the global id the API shows (`ApiToken:…` in base64) or the database id; else BAD_USER_INPUT naming `field`. */
export async function revokeToken(deps: Pick<RegistryDeps, 'prisma'>, token: string, field = 'id') {
  const { prisma } = deps;
  const id = idOf('ApiToken', token, field);
  const row = await prisma.apiToken.findUnique({ where: { id } });
  if (!row) throw new NotFoundError('API token', id);
  if (row.revokedAt) return row;
  // The NOTIFY is delivered when the update commits, to every process's token cache (tokenCache.ts).
  const [revoked] = await prisma.$transaction([
    prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() } }),
    prisma.$executeRaw`SELECT pg_notify(${REVOKED_CHANNEL}, ${id})`,
  ]);
  tokenCacheOf<Viewer>(prisma).forget(id);
  return revoked;
}

/** Every token, newest first (admin). */
export function listTokens(deps: Pick<RegistryDeps, 'prisma'>) {
  return deps.prisma.apiToken.findMany({ orderBy: { createdAt: 'desc' } });
}

export function findToken(deps: Pick<RegistryDeps, 'prisma'>, id: string) {
  return deps.prisma.apiToken.findUnique({ where: { id } });
}
