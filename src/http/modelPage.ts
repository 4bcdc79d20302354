// The Hub's model URLs (/OWNER/NAME), which cards link between, open the catalog's model page: a
// redirect for a model the registry holds, the 404 page (or JSON 404) for one it does not, so a
// mistyped link is not a 200 that only the catalog later calls missing (issue 32 item 7).
import type { RequestHandler } from 'express';
import { BonsaiError } from '../errors.js';
import { checkRead, identify, type Services } from '../registry/access.js';
import { findModel } from '../registry/models.js';
import { formatModelName } from '../registry/names.js';
import { sendNotFound } from './notFound.js';
import { checkParams } from './params.js';

export function modelPageRoute(services: Services): RequestHandler {
  return async (req, res) => {
    const params = req.params as { owner: string; name: string };
    checkParams(params);
    const name = formatModelName(params);
    const redirect = () => res.redirect(302, `/#/model/${encodeURIComponent(params.owner)}/${encodeURIComponent(params.name)}`);
    // On a server whose reads need a token, a browser's navigation carries none (the catalog keeps
    // it in the page): the catalog asks for one, and the registry is not asked here, so nothing
    // about which names exist is told to an anonymous caller.
    try {
      checkRead(await identify(services, req.headers.authorization));
    } catch (err) {
      if (err instanceof BonsaiError && err.code === 'UNAUTHENTICATED') return redirect();
      throw err;
    }
    try {
      await findModel(services.registry, name);
    } catch (err) {
      // NOT_FOUND, or a name the registry could not hold at all (BAD_USER_INPUT): no such page.
      if (!(err instanceof BonsaiError && (err.code === 'NOT_FOUND' || err.code === 'BAD_USER_INPUT'))) throw err;
      sendNotFound(req, res, 'model not found', `model ${name.slice(0, 200)} not found`);
      return;
    }
    redirect();
  };
}
