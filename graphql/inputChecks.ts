// Checks on what a client sends that no resolver should have to repeat. NUL characters are refused
// in every string, whether a variable or a literal in the document: PostgreSQL's text type cannot
// hold U+0000 (it fails with "invalid byte sequence for encoding UTF8: 0x00"), and a file path with
// one is cut short by the operating system, so such a string is the client's mistake, answered
// before anything runs with 400 and BAD_USER_INPUT naming the variable or argument.
import type { ApolloServerPlugin } from '@apollo/server';
import { type DocumentNode, GraphQLError, Kind, visit } from 'graphql';
import type { Context } from './context.js';
import { tooDeepMessage, tooDeepPart } from './variableDepth.js';

export function badRequest(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...extensions, http: { status: 400 } } });
}

/** The path of the first string holding U+0000 in a variable value, e.g. `$input.tags[2]`. */
export function nulPath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\0') ? path : null;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = nulPath(v, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\0')) return `${path}.${JSON.stringify(k)}`;
      const found = nulPath(v, `${path}.${k}`);
      if (found) return found;
    }
  }
  return null;
}

/**
 * The most items any list in a request may hold (variables and literals, JSON values included):
 * the most layers a config may state (num_hidden_layers ≤ 4,096), so a depth recipe can still name
 * every layer. Longer lists were work proportional to their length before any resolver could refuse
 * them: 100,000 strings in `models(filter: { license })` held the event loop for 18 s inside
 * Prisma's query builder, and ended in PostgreSQL's bind-parameter limit (a 500).
 */
export const MAX_LIST_ITEMS = 4096;

/** The path of the first list longer than MAX_LIST_ITEMS in a variable value (its depth is bounded first). */
export function longListPath(value: unknown, path: string): string | null {
  if (Array.isArray(value)) {
    if (value.length > MAX_LIST_ITEMS) return path;
    for (const [i, v] of value.entries()) {
      const found = longListPath(v, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const found = longListPath(v, `${path}.${k}`);
      if (found) return found;
    }
  }
  return null;
}

/** The argument or input field holding the first literal list longer than MAX_LIST_ITEMS. */
function longListLiteral(document: DocumentNode): string | null {
  const names: string[] = [];
  let found: string | null = null;
  visit(document, {
    Argument: { enter: (n) => void names.push(n.name.value), leave: () => void names.pop() },
    ObjectField: { enter: (n) => void names.push(n.name.value), leave: () => void names.pop() },
    [Kind.LIST]: (n) => {
      if (found === null && n.values.length > MAX_LIST_ITEMS) found = names.join('.') || '(a list literal)';
    },
  });
  return found;
}

/** The argument or input field holding the first literal string with U+0000 in the document. */
function nulLiteral(document: DocumentNode): string | null {
  const names: string[] = [];
  let found: string | null = null;
  visit(document, {
    Argument: { enter: (n) => void names.push(n.name.value), leave: () => void names.pop() },
    ObjectField: { enter: (n) => void names.push(n.name.value), leave: () => void names.pop() },
    [Kind.STRING]: (n) => {
      if (found === null && n.value.includes('\0')) found = names.join('.') || '(a string literal)';
    },
  });
  return found;
}

/**
 * What is wrong with a request's inputs before anything walks or coerces them, or null. Apollo runs
 * every plugin's didResolveOperation at once, so the cost check (limits.ts) asks this too and
 * leaves a bad request to this plugin instead of coercing a 100,000-item list first.
 */
export function inputProblem(variables: Record<string, unknown> | undefined, document: DocumentNode): GraphQLError | null {
  // Variables that did not come through express.json (a GET request's query string).
  const deep = tooDeepPart({ variables });
  if (deep) return badRequest(tooDeepMessage(deep), { field: deep });
  const longList = longListPath(variables ?? {}, '');
  const longField = longList ? `$${longList.slice(1)}` : longListLiteral(document);
  if (longField)
    return badRequest(`${longField}: a list may hold at most ${MAX_LIST_ITEMS.toLocaleString('en-US')} items`, { field: longField });
  const inVariables = nulPath(variables ?? {}, '');
  const field = inVariables ? `$${inVariables.slice(1)}` : nulLiteral(document);
  if (field) return badRequest(`${field}: must not contain a NUL character (U+0000)`, { field });
  return null;
}

export function inputChecksPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const problem = inputProblem(request.variables, document);
          if (problem) throw problem;
        },
      };
    },
  };
}
