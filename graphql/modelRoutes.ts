// A model's files over plain HTTP, for tools that want them without GraphQL: the card as
// README.md (as the Hub serves it) and the ONNX export. Same access rule as queries.

import { join } from 'node:path';
import type { Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import { renderCard } from '../src/cards/render.js';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../src/db/unavailable.js';
import { BonsaiError, NotFoundError } from '../src/errors.js';
import { cardInput } from '../src/registry/cards.js';
import { findModel } from '../src/registry/models.js';
import { formatModelName } from '../src/registry/names.js';
import { ONNX_FILES, onnxExportOf } from '../src/registry/onnxExports.js';
import { checkRead } from './auth.js';
import { createContext, type Services } from './context.js';
import { STATUS_OF_CODE } from './httpStatus.js';

const STATUS: Record<string, number> = {
  NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CONFLICT: 409,
  BAD_USER_INPUT: 400,
  ...STATUS_OF_CODE,
};

/** GET /models/OWNER/NAME/onnx/FILE: a file of the model's ONNX export (see `exportOnnx`). */
export function onnxRoute(services: Services) {
  return readableRoute<{ owner: string; name: string; file: string }>(services, async (req, res) => {
    if (!(ONNX_FILES as readonly string[]).includes(req.params.file))
      throw new NotFoundError(`ONNX export file (there are ${ONNX_FILES.join(' and ')})`, req.params.file);
    const model = await findModel(services.prisma, formatModelName(req.params));
    const files = model.artifactId ? await services.prisma.artifactFile.findMany({ where: { artifactId: model.artifactId } }) : [];
    const exported = await onnxExportOf(services.registry, files);
    if (!exported) throw new NotFoundError('ONNX export (run the exportOnnx mutation first)', formatModelName(model));
    res.type('application/octet-stream').sendFile(join(exported.dir, req.params.file));
  });
}

/**
 * A route that reads the registry: the caller's token is checked as for a query, and errors become
 * their HTTP status in plain text (the same for every model route).
 */
function readableRoute<P extends Record<string, string | string[]>>(
  services: Services,
  handle: (req: Request<P>, res: Response) => Promise<void>,
) {
  return async (req: Request<P>, res: Response) => {
    try {
      checkRead(await createContext(services, req.headers.authorization));
      await handle(req, res);
    } catch (err) {
      fail(services, res, err);
    }
  };
}

function fail(services: Services, res: Response, err: unknown): void {
  if (err instanceof BonsaiError && STATUS[err.code]) {
    res.status(STATUS[err.code]!).type('text/plain').send(`${err.message}\n`);
    return;
  }
  // The token check (createContext) or a query could not reach the database.
  if ((err instanceof GraphQLError && err.extensions.code === 'DATABASE_UNAVAILABLE') || isDatabaseUnavailable(err)) {
    res.status(503).set('retry-after', '5').type('text/plain').send(`${new DatabaseUnavailableError().message}\n`);
    return;
  }
  services.log.error(`model route: ${String(err)}`);
  res.status(500).type('text/plain').send('internal server error\n');
}

export function cardRoute(services: Services) {
  return readableRoute<{ owner: string; name: string }>(services, async (req, res) => {
    const model = await findModel(services.prisma, formatModelName(req.params));
    const card = renderCard(await cardInput(services.prisma, model));
    res.type('text/markdown; charset=utf-8').send(card.markdown);
  });
}

/**
 * GET /models/OWNER/NAME/resolve/PATH: one file of the model's stored checkpoint (the Hub's
 * /resolve/main/PATH), streamed from the artifact store, with its sha256 as the ETag.
 */
export function fileRoute(services: Services) {
  return readableRoute<{ owner: string; name: string; path: string[] }>(services, async (req, res) => {
    const model = await findModel(services.prisma, formatModelName(req.params));
    const path = req.params.path.join('/');
    const file = model.artifactId ? await services.prisma.artifactFile.findFirst({ where: { artifactId: model.artifactId, path } }) : null;
    if (!file) throw new NotFoundError(`file of ${formatModelName(model)}`, path);
    res
      .set('etag', `"${file.sha256}"`)
      .set('content-disposition', `attachment; filename="${path.split('/').pop()!.replace(/"/g, '')}"`)
      .type('application/octet-stream')
      .sendFile(services.registry.store.blobPath(file.sha256));
  });
}
