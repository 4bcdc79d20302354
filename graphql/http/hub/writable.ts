// The wrapper of every Hub route that changes something: the path parameters checked, the bearer
// token checked as for a GraphQL mutation (graphql/auth.ts requireRole: maintainer to write, admin
// to delete a repository), errors to the app's JSON error handler (graphql/http/errors.ts).
import type { Request, Response } from 'express';
import type { TokenRole, Viewer } from '../../../src/registry/tokens.js';
import { requireRole } from '../../auth.js';
import { createContext, type Services } from '../../context.js';
import { checkParams } from '../params.js';

export function writableRoute<P extends Record<string, string | string[]>>(
  services: Services,
  role: TokenRole,
  handle: (req: Request<P>, res: Response, viewer: Viewer) => Promise<void>,
) {
  return async (req: Request<P>, res: Response) => {
    checkParams(req.params);
    const viewer = requireRole(await createContext(services, req.headers.authorization), role);
    await handle(req, res, viewer);
  };
}

/** The server's own address as the client reached it, for URLs in answers. */
export const baseUrl = (req: Pick<Request, 'protocol' | 'get'>) => `${req.protocol}://${req.get('host')}`;
