// Relay global ids: base64url("Type:uuid"), opaque to clients, resolvable by `node(id)`.
import { idOf } from '../src/registry/globalIds.js';
import { isUuid } from '../src/registry/models.js';

// The decoding lives in the registry (the CLI takes these ids too); re-exported for the schema.
export { fromGlobalId, idOf, type NodeType, toGlobalId } from '../src/registry/globalIds.js';

/** A model reference: global id, uuid or owner/name. */
export function modelRef(value: string, field = 'model'): string {
  if (value.includes('/') || isUuid(value)) return value;
  return idOf('Model', value, field);
}
