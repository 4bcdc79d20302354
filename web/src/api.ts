// The catalog talks only to /graphql. The API token is asked for once and kept for the session
// (sessionStorage: gone when the tab closes).
import type { TadaDocumentNode } from 'gql.tada';
import { type DocumentNode, print } from 'graphql';

const TOKEN_KEY = 'bonsai-token';

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly field: string | undefined,
    /** Whether the request carried a token: "refused" and "missing" are different advice. */
    readonly withToken = false,
  ) {
    super(message);
  }
}

/** Each document printed once: the text sent for it. */
const printed = new WeakMap<DocumentNode, string>();

/**
 * Runs a document typed by gql.tada (web/src/graphql.ts): its variables and result are the
 * schema's. `auth`: send the session's token (true), this token (a string), or none (false).
 */
export async function gql<R, V>(document: TadaDocumentNode<R, V>, variables: V, auth: boolean | string = false): Promise<R> {
  const token = typeof auth === 'string' ? auth : auth ? getToken() : null;
  let query = printed.get(document);
  if (query === undefined) {
    query = print(document);
    printed.set(document, query);
  }
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: R; errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }> };
  if (body.errors?.length) {
    const e = body.errors[0]!;
    // The session's token refused (revoked, expired, mistyped): forget it and ask again without one,
    // so one bad token does not break every page of the session; a request that needs a token then
    // says so.
    if (auth === true && token && e.extensions?.code === 'UNAUTHENTICATED') {
      setToken(null);
      return gql(document, variables, false);
    }
    throw new ApiError(e.message, e.extensions?.code, e.extensions?.field, Boolean(token));
  }
  return body.data as R;
}

export function formatParams(n: string | number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const v = Number(n);
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} B`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
  return String(v);
}

export function formatBytes(n: string | number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const v = Number(n);
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} GB`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} MB`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} kB`;
  return `${v} B`;
}

/**
 * The API names the field by its path (`recipe.pruningFraction: must be in [0, 1)`); the form shows it
 * by its label (`Pruning fraction: must be in [0, 1)`), as the form's controls are labelled.
 */
export function fieldInWords(field: string, message: string): string {
  if (!message.startsWith(`${field}: `)) return message;
  const name =
    field
      .split('.')
      .filter((p) => !/^\d+$/.test(p))
      .at(-1) ?? field;
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}: ${message.slice(field.length + 2)}`;
}

/** The API's typed errors in words, for people (the code and field stay in the console-free details). */
export function describeError(e: Error): string {
  if (!(e instanceof ApiError)) return `The server could not be reached (${e.message}).`;
  switch (e.code) {
    case 'UNAUTHENTICATED':
      return e.withToken
        ? 'The API token was refused: it is unknown, revoked or expired. Check it, or ask an admin for a new one (bonsai token create).'
        : 'This needs an API token: enter one in the spawn form.';
    case 'FORBIDDEN':
      return 'Your token may not do this (a maintainer token is needed).';
    case 'NOT_FOUND':
      return e.message;
    case 'CONFLICT':
      return `Not possible now: ${e.message}`;
    case 'BAD_USER_INPUT':
      return e.field ? fieldInWords(e.field, e.message) : `Invalid input: ${e.message}`;
    case 'DATABASE_UNAVAILABLE':
      return 'The registry database is restarting; try again in a few seconds.';
    default:
      return e.message;
  }
}

/** How a child was made, in words: its recipe's method, or the relation for models registered with a parent ("external"). */
export function relationLabel(relation: string, method: string | null | undefined): string {
  return method && method !== 'external' ? method : relation.toLowerCase().replace('_', '-');
}
