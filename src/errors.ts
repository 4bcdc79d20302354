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
