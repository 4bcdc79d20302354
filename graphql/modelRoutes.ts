// A model's files over plain HTTP, for tools that want them without GraphQL: the card as
// README.md (as the Hub serves it) and the ONNX export. Same access rule as queries.

import { join } from 'node:path';
import type { Request, Response } from 'express';
import { renderCard } from '../src/cards/render.js';
import { NotFoundError } from '../src/errors.js';
import { cardInput } from '../src/registry/cards.js';
import { findModel } from '../src/registry/models.js';
import { formatModelName } from '../src/registry/names.js';
import { ONNX_FILES, onnxExportOf } from '../src/registry/onnxExports.js';
import { checkRead } from './auth.js';
import { createContext, type Services } from './context.js';
import { attachment } from './http/attachment.js';
import { checkParams } from './http/params.js';

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
 * A route that reads the registry: the parameters are checked, the caller's token is checked as
 * for a query, and an error goes to the app's JSON error handler (graphql/http/errors.ts), which
 * gives it its HTTP status (the same for every model route).
 */
function readableRoute<P extends Record<string, string | string[]>>(
  services: Services,
  handle: (req: Request<P>, res: Response) => Promise<void>,
) {
  // express 5 passes a rejected promise to the error handler.
  return async (req: Request<P>, res: Response) => {
    checkParams(req.params);
    checkRead(await createContext(services, req.headers.authorization));
    await handle(req, res);
  };
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
    attachment(res, path).set('etag', `"${file.sha256}"`).sendFile(services.registry.store.blobPath(file.sha256));
  });
}
