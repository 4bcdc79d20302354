// Checks on a route's path parameters and query before anything uses them. A decoded parameter may
// hold U+0000 (`%00`), which PostgreSQL's text type cannot store (a query with one fails inside the
// driver with SQLSTATE 22021, a 500) and which would cut a file path short: it is the client's
// mistake, named here.
import { BadInputError } from '../errors.js';

const NUL = 'must not contain a NUL character (U+0000)';

export function checkParams(params: Record<string, string | string[]>): void {
  for (const [name, value] of Object.entries(params)) {
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => v.includes('\0'))) throw new BadInputError(name, NUL);
  }
}

/**
 * The query string's values (express 5's "simple" parser, node:querystring: a string or a list of
 * them per name); a name with a NUL is refused by the same rule, as `query`.
 */
export function checkQuery(query: unknown): void {
  if (typeof query !== 'object' || query === null) return;
  for (const [name, value] of Object.entries(query)) {
    if (name.includes('\0')) throw new BadInputError('query', `a parameter name ${NUL}`);
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'string' && v.includes('\0'))) throw new BadInputError(name, NUL);
  }
}
