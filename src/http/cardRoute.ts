// A model's card over plain HTTP as README.md (as the Hub serves it), for tools that want it
// without GraphQL, and the wrapper every model route shares. Same access rule as queries.

import type { Request, RequestHandler, Response } from 'express';
import { checkRead, identify, type Services } from '../registry/access.js';
import { modelCard } from '../registry/cards.js';
import { findModel } from '../registry/models.js';
import { formatModelName } from '../registry/names.js';
import { checkParams, checkQuery } from './params.js';

/**
 * A route that reads the registry: the parameters are checked, the caller's token is checked as
 * for a query, and an error goes to the app's JSON error handler (src/http/errors.ts), which
 * gives it its HTTP status (the same for every model route). A route with a body (paths-info)
 * passes its parsers, which run only once the caller may read (src/http/hub/writable.ts).
 */
export function readableRoute<P extends Record<string, string | string[]>>(
  services: Services,
  handle: (req: Request<P>, res: Response) => Promise<void>,
  body: RequestHandler[] = [],
): RequestHandler[] {
  // express 5 passes a rejected promise to the error handler.
  const authorise: RequestHandler = async (req, _res, next) => {
    checkParams(req.params);
    checkQuery(req.query);
    checkRead(await identify(services, req.headers.authorization));
    next();
  };
  return [authorise, ...body, handle as unknown as RequestHandler];
}

export function cardRoute(services: Services) {
  return readableRoute<{ owner: string; name: string }>(services, async (req, res) => {
    const model = await findModel(services.registry, formatModelName(req.params));
    const card = await modelCard(services.registry, model);
    res.type('text/markdown; charset=utf-8').send(card.markdown);
  });
}
