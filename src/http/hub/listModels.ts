// GET /api/models: the registry's models as the Hub lists them, paged by a Link header.

import type { Services } from '../../registry/access.js';
import { listHubModels } from '../../registry/hubList.js';
import { readableRoute } from '../cardRoute.js';
import { modelSummary } from './modelInfo.js';

const one = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);

export function listModelsRoute(services: Services) {
  return readableRoute(services, async (req, res) => {
    const q = req.query;
    const { rows, nextCursor } = await listHubModels(services.registry, {
      search: one(q.search),
      author: one(q.author),
      sort: one(q.sort),
      direction: one(q.direction),
      limit: one(q.limit),
      cursor: one(q.cursor),
    });
    if (nextCursor) {
      const next = new URL(req.originalUrl, 'http://host');
      next.searchParams.set('cursor', nextCursor);
      res.set('link', `<${req.protocol}://${req.get('host')}${next.pathname}${next.search}>; rel="next"`);
    }
    res.json(rows.map((m) => modelSummary(m, services)));
  });
}
