// Prisma's known request errors turned into domain errors where the stores call Prisma
// (Prisma's error reference: P2002 unique, P2003 foreign key, P2025 missing row).
import { BonsaiError, ConflictError, NotFoundError } from '../errors.js';

interface KnownPrismaError {
  code: string;
  meta?: { target?: unknown; modelName?: string };
}

function isKnown(err: unknown): err is KnownPrismaError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    /^P\d{4}$/.test((err as { code: string }).code)
  );
}

/** `field`, when given, is the input a unique-constraint conflict is about (e.g. `name`). */
export function mapPrismaError(err: unknown, what = 'record', field?: string): unknown {
  if (err instanceof BonsaiError || !isKnown(err)) return err;
  if (err.code === 'P2002') return new ConflictError(`${what} already exists`, field ? { field } : {});
  if (err.code === 'P2003') return new ConflictError(`${what} is still referenced by another record`);
  if (err.code === 'P2025') return new NotFoundError(what, '(gone)');
  return err;
}
