// Signed upload URLs for Git LFS objects. The Hub's clients PUT an object's bytes to the `href` of
// the batch answer's upload action and send no Authorization header with it (huggingface.js's
// commit.ts and huggingface_hub's lfs.py send the body alone, as to a presigned S3 URL), so the
// URL itself must say who may upload what: the repository, the object's sha256 and size, an expiry
// and the id of the token that asked, signed with HMAC-SHA256 keyed by that token's stored hash.
// Any server process can check it (the key is in the database, never sent), and revoking the
// token, or its losing the maintainer role, voids the URLs it obtained.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import type { RegistryDeps } from './deps.js';
import { findToken, roleAtLeast } from './tokens.js';

/** How long an upload URL stays valid (the Hub's presigned URLs last about a day). */
export const TICKET_SECONDS = 24 * 3600;

export interface UploadTicket {
  repo: string;
  oid: string;
  size: number;
  /** Unix seconds. */
  expires: number;
  tokenId: string;
}

function signature(key: string, t: UploadTicket): string {
  return createHmac('sha256', key)
    .update(`lfs-upload\n${t.repo.toLowerCase()}\n${t.oid}\n${t.size}\n${t.expires}\n${t.tokenId}`)
    .digest('hex');
}

/** The query string of an upload URL for `t`, signed with the token's stored hash. */
export function signTicket(tokenHash: string, t: UploadTicket): string {
  const q = new URLSearchParams({ size: String(t.size), expires: String(t.expires), token: t.tokenId, sig: signature(tokenHash, t) });
  return q.toString();
}

/**
 * The ticket a request's query describes, checked: not expired, its token still valid and at least
 * a maintainer, the signature right. Anything wrong is UNAUTHENTICATED (401), as an expired S3 URL.
 */
export async function verifyTicket(
  deps: Pick<RegistryDeps, 'prisma'>,
  repo: string,
  oid: string,
  query: Record<string, unknown>,
): Promise<UploadTicket> {
  const size = Number(query.size);
  const expires = Number(query.expires);
  const tokenId = typeof query.token === 'string' ? query.token : '';
  const sig = typeof query.sig === 'string' ? query.sig : '';
  const bad = new UnauthenticatedError('this upload URL is not valid: ask the LFS batch endpoint for a new one');
  if (!Number.isSafeInteger(size) || size < 0 || !Number.isSafeInteger(expires) || !/^[0-9a-f]{64}$/.test(sig)) throw bad;
  if (!/^[0-9a-f-]{36}$/.test(tokenId)) throw bad;
  if (expires * 1000 < Date.now()) throw new UnauthenticatedError('this upload URL has expired: ask the LFS batch endpoint for a new one');
  const token = await findToken(deps, tokenId);
  if (!token || token.revokedAt || (token.expiresAt && token.expiresAt.getTime() <= Date.now())) throw bad;
  const ticket = { repo, oid, size, expires, tokenId };
  const want = Buffer.from(signature(token.tokenHash, ticket), 'hex');
  if (!timingSafeEqual(want, Buffer.from(sig, 'hex'))) throw bad;
  if (!roleAtLeast(token.role, 'MAINTAINER')) throw new ForbiddenError('uploads need the maintainer role', { needed: 'MAINTAINER' });
  return ticket;
}
