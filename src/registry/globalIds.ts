// Relay global ids: base64url("Type:uuid"), opaque to clients, resolvable by `node(id)`. Decoded
// here, not in graphql/, because the CLI takes the ids the API shows too (`bonsai token revoke`
// with the id a `tokens` query printed).
import { BadInputError } from '../errors.js';
import { isUuid } from './models.js';

export type NodeType = 'Model' | 'LineageEdge' | 'Job' | 'Evaluation' | 'ApiToken';
const TYPES: readonly NodeType[] = ['Model', 'LineageEdge', 'Job', 'Evaluation', 'ApiToken'];

export function toGlobalId(type: NodeType, id: string): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

export function fromGlobalId(globalId: string, field = 'id'): { type: NodeType; id: string } {
  // Node's base64url decoder also reads the standard alphabet (`+`, `/`, `=` padding).
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const [type, id] = decoded.split(':', 2) as [string, string | undefined];
  if (!id || !TYPES.includes(type as NodeType) || !isUuid(id))
    throw new BadInputError(field, `"${globalId.slice(0, 200)}" is not an id from this API`);
  return { type: type as NodeType, id };
}

/** An id of the expected type; a bare uuid is accepted too, for scripts that read the database. */
export function idOf(type: NodeType, value: string, field = 'id'): string {
  if (isUuid(value)) return value;
  const g = fromGlobalId(value, field);
  if (g.type !== type) throw new BadInputError(field, `is the id of a ${g.type}, not of a ${type}`);
  return g.id;
}
