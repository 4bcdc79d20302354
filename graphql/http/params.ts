// Checks on a route's path parameters before anything uses them. A decoded parameter may hold
// U+0000 (`%00`), which PostgreSQL's text type cannot store (a query with one fails inside the
// driver, a 500) and which would cut a file path short: it is the client's mistake, named here.
import { BadInputError } from '../../src/errors.js';

export function checkParams(params: Record<string, string | string[]>): void {
  for (const [name, value] of Object.entries(params)) {
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => v.includes('\0'))) throw new BadInputError(name, 'must not contain a NUL character (U+0000)');
  }
}
