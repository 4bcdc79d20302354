// The Hub's model listing (`GET /api/models`): search, author, sort and limit as huggingface_hub's
// list_models and huggingface.js's listModels send them, one page at a time behind an opaque
// cursor (the Hub pages with a `Link: <…&cursor=…>; rel="next"` header).
import { BadInputError } from '../errors.js';
import type { RegistryDeps } from './deps.js';
import { type ModelRow, modelWhere } from './models.js';

/** The Hub's own page limit. */
export const MAX_HUB_PAGE = 1000;

const SORTS = { lastModified: 'updatedAt', createdAt: 'createdAt', id: 'name' } as const;

export interface HubListQuery {
  search?: string;
  author?: string;
  sort?: string;
  /** -1: descending (the Hub's default for dates), 1: ascending. */
  direction?: string;
  limit?: string;
  cursor?: string;
}

function offsetOf(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const n = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(n) || n < 0) throw new BadInputError('cursor', 'is not a cursor from this listing');
  return n;
}

export async function listHubModels(
  deps: Pick<RegistryDeps, 'prisma'>,
  q: HubListQuery,
): Promise<{ rows: ModelRow[]; nextCursor: string | null }> {
  const limit = q.limit === undefined ? MAX_HUB_PAGE : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HUB_PAGE)
    throw new BadInputError('limit', `must be between 1 and ${MAX_HUB_PAGE}`);
  const sort = q.sort ?? 'createdAt';
  // Own keys only: `in` also matches Object.prototype's (constructor, toString, __proto__).
  if (!Object.hasOwn(SORTS, sort)) throw new BadInputError('sort', `must be one of ${Object.keys(SORTS).join(', ')}`);
  if (q.direction !== undefined && q.direction !== '-1' && q.direction !== '1') throw new BadInputError('direction', 'must be -1 or 1');
  const dir = q.direction === '1' ? 'asc' : sort === 'id' && q.direction === undefined ? 'asc' : 'desc';
  const skip = offsetOf(q.cursor);
  const where = modelWhere({ search: q.search });
  const column = SORTS[sort as keyof typeof SORTS];
  const rows = await deps.prisma.model.findMany({
    where: q.author ? { AND: [where, { owner: { equals: q.author, mode: 'insensitive' } }] } : where,
    orderBy: column === 'name' ? [{ owner: dir }, { name: dir }, { id: 'asc' }] : [{ [column]: dir }, { id: 'asc' }],
    skip,
    take: limit + 1,
  });
  const more = rows.length > limit;
  return { rows: rows.slice(0, limit), nextCursor: more ? Buffer.from(String(skip + limit)).toString('base64url') : null };
}
