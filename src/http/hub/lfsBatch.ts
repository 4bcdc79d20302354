// POST /{owner}/{name}.git/info/lfs/objects/batch: the Git LFS batch API
// (https://github.com/git-lfs/git-lfs/blob/main/docs/api/batch.md) for uploads, basic transfer
// only. The Hub's clients also offer `multipart` and `xet` (huggingface.js's commit.ts falls back to
// basic when the answer's `transfer` is not xet). An object the store has already, with that
// size, gets no actions ("already present", so an interrupted upload resumes with what is missing);
// any other an `upload` action to a signed Bonsai URL (src/registry/uploadTickets.ts) that streams
// the body into the store, and a `verify` action.

import { BadInputError, NotFoundError } from '../../errors.js';
import type { Services } from '../../registry/access.js';
import { RepoNotFoundError } from '../../registry/hubRepo.js';
import { findByName } from '../../registry/models.js';
import { formatModelName, parseModelName } from '../../registry/names.js';
import { findToken } from '../../registry/tokens.js';
import { signTicket, TICKET_SECONDS } from '../../registry/uploadTickets.js';
import { jsonBody, LFS_TYPE } from './jsonBody.js';
import { baseUrl, writableRoute } from './writable.js';

/** Objects in one batch request (the Hub's clients send 100 at a time). */
const MAX_OBJECTS = 1000;
const SHA256 = /^[0-9a-f]{64}$/;

export function lfsBatchRoute(services: Services) {
  return writableRoute<{ owner: string; name: string }>(
    services,
    'MAINTAINER',
    async (req, res, viewer) => {
      const body = (req.body ?? {}) as { operation?: unknown; objects?: unknown; hash_algo?: unknown };
      if (body.operation !== 'upload') throw new BadInputError('operation', 'must be upload (downloads go through /resolve)');
      if (body.hash_algo !== undefined && body.hash_algo !== 'sha256' && body.hash_algo !== 'sha_256')
        throw new BadInputError('hash_algo', 'must be sha256');
      if (!Array.isArray(body.objects)) throw new BadInputError('objects', 'must be a list of {oid, size}');
      if (body.objects.length > MAX_OBJECTS) throw new BadInputError('objects', `at most ${MAX_OBJECTS} in one request`);
      const repo = `${req.params.owner}/${req.params.name}`;
      const model = await findByName(services.registry, parseModelName(repo, 'repo'));
      if (!model) throw new RepoNotFoundError(repo);
      const name = formatModelName(model);
      const token = await findToken(services.registry, viewer.tokenId);
      if (!token) throw new NotFoundError('API token', viewer.tokenId);
      const expires = Math.floor(Date.now() / 1000) + TICKET_SECONDS;
      const objects = [];
      for (const [i, o] of (body.objects as Array<{ oid?: unknown; size?: unknown }>).entries()) {
        const oid = o?.oid;
        const size = Number(o?.size);
        if (typeof oid !== 'string' || !SHA256.test(oid)) throw new BadInputError(`objects[${i}].oid`, 'must be a sha256 (64 hex digits)');
        if (!Number.isSafeInteger(size) || size < 0) throw new BadInputError(`objects[${i}].size`, 'must be a byte count');
        const have = await services.registry.store.blobSize(oid);
        if (have === size) {
          // Present: no actions. Its age restarts, so cleanup does not take it before the commit.
          await services.registry.store.touchBlob(oid);
          objects.push({ oid, size });
          continue;
        }
        if (have !== null) {
          objects.push({ oid, size, error: { code: 422, message: `an object ${oid} exists with ${have} bytes, not ${size}` } });
          continue;
        }
        const q = signTicket(token.tokenHash, { repo: name, oid, size, expires, tokenId: token.id });
        const href = `${baseUrl(req)}/${name}.git/info/lfs/objects/${oid}?${q}`;
        objects.push({
          oid,
          size,
          authenticated: true,
          actions: {
            upload: { href, expires_in: TICKET_SECONDS },
            // Authenticated with the client's own token (not echoed back in this answer).
            verify: { href: `${baseUrl(req)}/${name}.git/info/lfs/verify`, expires_in: TICKET_SECONDS },
          },
        });
      }
      res.type(LFS_TYPE).send(JSON.stringify({ transfer: 'basic', objects, hash_algo: 'sha256' }));
    },
    jsonBody(1024 * 1024),
  );
}
