// PUT /{owner}/{name}.git/info/lfs/objects/{oid}?size&expires&token&sig: the body of one LFS object,
// to the signed URL the batch answer gave (src/registry/uploadTickets.ts). Streamed into the
// store's tmp/ while it is hashed (ArtifactStore.receive): never held in memory, a blob only once
// its sha256 and size match, nothing left when the client stops half-way. And the `verify` action
// (POST …/info/lfs/verify {oid, size}): 200 when the store has the object with that size.
import type { Request, Response } from 'express';
import { BadInputError, NotFoundError } from '../../errors.js';
import type { Services } from '../../registry/access.js';
import { verifyTicket } from '../../registry/uploadTickets.js';
import { checkParams, checkQuery } from '../params.js';
import { jsonBody, LFS_TYPE } from './jsonBody.js';
import { writableRoute } from './writable.js';

const SHA256 = /^[0-9a-f]{64}$/;

export function lfsUploadRoute(services: Services) {
  return async (req: Request<{ owner: string; name: string; oid: string }>, res: Response) => {
    checkParams(req.params);
    checkQuery(req.query);
    const { oid } = req.params;
    if (!SHA256.test(oid)) throw new BadInputError('oid', 'must be a sha256 (64 hex digits)');
    const ticket = await verifyTicket(services.registry, `${req.params.owner}/${req.params.name}`, oid, req.query);
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) !== ticket.size)
      throw new BadInputError('Content-Length', `${length} bytes, but the object has ${ticket.size}`);
    // The request's own stream: an aborted upload rejects it, and receive removes what it wrote.
    const controller = new AbortController();
    const onClose = () => {
      if (!req.complete) controller.abort();
    };
    req.on('close', onClose);
    try {
      await services.registry.store.receive(req, { sha256: oid, size: ticket.size }, controller.signal);
    } finally {
      req.off('close', onClose);
    }
    res.status(200).json({});
  };
}

export function lfsVerifyRoute(services: Services) {
  return writableRoute(
    services,
    'MAINTAINER',
    async (req, res) => {
      const { oid, size } = (req.body ?? {}) as { oid?: unknown; size?: unknown };
      if (typeof oid !== 'string' || !SHA256.test(oid)) throw new BadInputError('oid', 'must be a sha256 (64 hex digits)');
      if ((await services.registry.store.blobSize(oid)) !== Number(size)) throw new NotFoundError('LFS object', oid);
      res.type(LFS_TYPE).send('{}');
    },
    jsonBody(1024 * 1024),
  );
}
