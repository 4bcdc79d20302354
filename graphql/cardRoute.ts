// GET /models/OWNER/NAME/README.md: the model card as a file, as the Hub serves it, for tools that
// want markdown without GraphQL. Same access rule as queries.
import type { Request, Response } from 'express';
import { renderCard } from '../src/cards/render.js';
import { BonsaiError } from '../src/errors.js';
import { cardInput } from '../src/registry/cards.js';
import { findModel } from '../src/registry/models.js';
import { checkRead } from './auth.js';
import { createContext, type Services } from './context.js';

const STATUS: Record<string, number> = { NOT_FOUND: 404, UNAUTHENTICATED: 401, FORBIDDEN: 403, CONFLICT: 409, BAD_USER_INPUT: 400 };

export function cardRoute(services: Services) {
  return async (req: Request<{ owner: string; name: string }>, res: Response) => {
    try {
      const ctx = await createContext(services, req.headers.authorization);
      checkRead(ctx);
      const model = await findModel(services.prisma, `${req.params.owner}/${req.params.name}`);
      const card = renderCard(await cardInput(services.prisma, model));
      res.type('text/markdown; charset=utf-8').send(card.markdown);
    } catch (err) {
      if (err instanceof BonsaiError && STATUS[err.code]) {
        res.status(STATUS[err.code]!).type('text/plain').send(`${err.message}\n`);
        return;
      }
      services.log.error(`card route: ${String(err)}`);
      res.status(500).type('text/plain').send('internal server error\n');
    }
  };
}
