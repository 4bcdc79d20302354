// The project's error classes. Each carries a code that the API puts in `extensions.code`, so a
// client can branch on it without parsing messages (modelled on Apollo Server's error classes).

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'BAD_CONFIG'
  | 'BAD_CHECKPOINT'
  | 'UNSUPPORTED_ARCHITECTURE'
  | 'DATA_FOLDER_LOCKED'
  | 'DATABASE_UNAVAILABLE'
  | 'STORAGE_FULL'
  | 'INTERNAL_SERVER_ERROR';

/**
 * The HTTP status of each code, for the routes and for GraphQL responses whose status says something
 * about the server: a client's mistakes are their 4xx; the database being down is 503 Service
 * Unavailable (clients and load balancers retry), a full artifact store 507 Insufficient Storage
 * (RFC 4918); a bad deployment setting and a locked data folder are the server's fault (500).
 * Typed over every code, so a new code cannot be added without its status.
 */
export const HTTP_STATUS_OF_CODE: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  BAD_CHECKPOINT: 400,
  UNSUPPORTED_ARCHITECTURE: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  BAD_CONFIG: 500,
  DATA_FOLDER_LOCKED: 500,
  DATABASE_UNAVAILABLE: 503,
  STORAGE_FULL: 507,
  INTERNAL_SERVER_ERROR: 500,
};

/** A code's status when it is one of ours; undefined for GraphQL's and Apollo's own codes. */
export function httpStatusOfCode(code: unknown): number | undefined {
  return typeof code === 'string' && Object.hasOwn(HTTP_STATUS_OF_CODE, code) ? HTTP_STATUS_OF_CODE[code as ErrorCode] : undefined;
}

export interface ErrorDetails {
  /** The input field, environment variable or file the error is about. */
  field?: string;
  [key: string]: unknown;
}

export class BonsaiError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export class BadInputError extends BonsaiError {
  constructor(field: string, problem: string, details: ErrorDetails = {}) {
    super('BAD_USER_INPUT', `${field}: ${problem}`, { ...details, field });
  }
}

export class NotFoundError extends BonsaiError {
  constructor(what: string, key: string) {
    super('NOT_FOUND', `${what} not found: ${key}`, { what, key });
  }
}

export class UnauthenticatedError extends BonsaiError {
  constructor(message = 'a valid API token is required (Authorization: Bearer …)') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends BonsaiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('FORBIDDEN', message, details);
  }
}

export class ConflictError extends BonsaiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('CONFLICT', message, details);
  }
}

export class ConfigError extends BonsaiError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('BAD_CONFIG', `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Turns any thrown value into an Error, keeping the original as `cause` (graphile-worker's coerceError). */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  const message = typeof thrown === 'string' ? thrown : `non-error thrown: ${safeString(thrown)}`;
  return new Error(message, { cause: thrown });
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
