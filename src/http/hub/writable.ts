// The wrapper of every Hub route that changes something: the path parameters and query checked, the
// bearer token checked as for a GraphQL mutation (graphql/auth.ts requireRole: maintainer to write,
// admin to delete a repository), errors to the app's JSON error handler (src/http/errors.ts).
// The token and its role are checked BEFORE the body parser runs: a body parser buffers what it
// reads (the JSON-form commit up to 64 MB), so thirty anonymous 62 MB bodies that each ended in a
// 401 had cost the server a gigabyte first. A refused request's body is never read into memory:
// Node's server discards it as it arrives once the answer is sent (http's resOnFinish → req._dump).
import type { Request, RequestHandler, Response } from 'express';
import { identify, requireRole, type Services } from '../../registry/access.js';
import type { TokenRole, Viewer } from '../../registry/tokens.js';
import { checkParams, checkQuery } from '../params.js';

export function writableRoute<P extends Record<string, string | string[]>>(
  services: Services,
  role: TokenRole,
  handle: (req: Request<P>, res: Response, viewer: Viewer) => Promise<void>,
  /** The route's body parsers, run only for a caller with the role. */
  body: RequestHandler[] = [],
): RequestHandler[] {
  const authorise: RequestHandler = async (req, res, next) => {
    checkParams(req.params);
    checkQuery(req.query);
    res.locals.viewer = requireRole(await identify(services, req.headers.authorization), role);
    next();
  };
  const run = async (req: Request<P>, res: Response) => handle(req, res, res.locals.viewer as Viewer);
  return [authorise, ...body, run as unknown as RequestHandler];
}

/** The server's own address as the client reached it, for URLs in answers. */
export const baseUrl = (req: Pick<Request, 'protocol' | 'get'>) => `${req.protocol}://${req.get('host')}`;
