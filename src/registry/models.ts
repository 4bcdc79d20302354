// Reading and changing models: lookups by id or name, the filtered, paginated catalog listing,
// metadata updates and deletion with its blobs.
import type { db } from '../db/client.js';
import { type ModelStatus, Relation } from '../db/generated/enums.js';
import { BadInputError, ConflictError, NotFoundError } from '../errors.js';
import { RELATION_OF_METHOD } from '../pruning/methods/index.js';
import type { RegistryDeps } from './deps.js';
import { formatModelName, type ModelName, parseModelName } from './names.js';
import { mapPrismaError } from './prismaErrors.js';

export type ModelRow = db.Model;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A model by its id (uuid) or its `owner/name`; NOT_FOUND names what was asked for. */
export async function findModel(deps: Pick<RegistryDeps, 'prisma'>, ref: string, field = 'model'): Promise<ModelRow> {
  const row = isUuid(ref)
    ? await deps.prisma.model.findUnique({ where: { id: ref } })
    : ref.includes('/')
      ? await findByName(deps, parseModelName(ref, field))
      : null;
  if (!row) throw new NotFoundError('model', ref);
  return row;
}

/**
 * Names are unique and found ignoring case, as on the Hub: `BIBLE/TINY-LLAMA-KJV` is
 * `bible/tiny-llama-kjv` (a unique index on lower(owner), lower(name) keeps them unique).
 */
export async function findByName(deps: Pick<RegistryDeps, 'prisma'>, name: ModelName): Promise<ModelRow | null> {
  return deps.prisma.model.findFirst({
    where: { owner: { equals: name.owner, mode: 'insensitive' }, name: { equals: name.name, mode: 'insensitive' } },
  });
}

/** CONFLICT on `field` when the name is taken, in any case. */
export async function checkNameFree(deps: Pick<RegistryDeps, 'prisma'>, name: ModelName, field = 'name'): Promise<void> {
  const taken = await findByName(deps, name);
  if (taken) {
    const same = taken.owner === name.owner && taken.name === name.name;
    throw new ConflictError(
      `${field}: a model named ${formatModelName(taken)} exists already${same ? '' : ' (names are unique ignoring case)'}`,
      { field },
    );
  }
}

/** A model and the files of its stored checkpoint (for the CLI's export and prune); BAD_USER_INPUT on `field` when it has none. */
export async function findStoredCheckpoint(deps: Pick<RegistryDeps, 'prisma'>, ref: string, field: string) {
  const model = await findModel(deps, ref, field);
  const files = model.artifactId ? await deps.prisma.artifactFile.findMany({ where: { artifactId: model.artifactId } }) : [];
  if (!files.length) throw new BadInputError(field, `${ref} has no stored checkpoint (status ${model.status.toLowerCase()})`);
  return { model, files };
}

export interface ModelFilter {
  /** Case-insensitive match on owner/name, description or a tag. */
  search?: string | null;
  architecture?: readonly string[] | null;
  relation?: readonly Relation[] | null;
  /** The recipe's method of the edge from a parent: mlp-width, depth, sparsity, vocab. */
  method?: readonly string[] | null;
  license?: readonly string[] | null;
  status?: readonly ModelStatus[] | null;
  minParameters?: bigint | null;
  maxParameters?: bigint | null;
  kind?: 'BASE' | 'DERIVED' | null;
}

export type ModelOrderField = 'CREATED_AT' | 'UPDATED_AT' | 'NAME' | 'PARAMETER_COUNT' | 'BYTE_SIZE';
export interface ModelOrder {
  field: ModelOrderField;
  direction: 'ASC' | 'DESC';
}

export const MAX_PAGE = 100;

const METHODS = Object.keys(RELATION_OF_METHOD) as Array<keyof typeof RELATION_OF_METHOD>;
const RELATIONS = Object.values(Relation);

/** The values that contain the search text, ignoring case. */
function matching<T extends string>(values: readonly T[], search: string): T[] {
  const needle = search.toLowerCase();
  return values.filter((v) => v.toLowerCase().includes(needle));
}

/**
 * Values one filter list may hold. Each matched-in-part value is one ILIKE term that Prisma's query
 * builder and PostgreSQL's planner handle one by one, on the server's thread for the former: 4,096
 * licenses took 1.8 s, 100,000 held the event loop for 18 s. A catalog picks a few.
 */
export const MAX_FILTER_VALUES = 100;

/** Characters a search text may have: far above any model name or phrase (the Hub's names are at most 96). */
export const MAX_SEARCH_LENGTH = 1000;

function checkFilterSizes(f: ModelFilter): void {
  // Matched five ways with ILIKE: a megabyte of text held the server's thread for 230 ms.
  if ((f.search?.length ?? 0) > MAX_SEARCH_LENGTH)
    throw new BadInputError(
      'filter.search',
      `at most ${MAX_SEARCH_LENGTH.toLocaleString('en-US')} characters (got ${f.search!.length.toLocaleString('en-US')})`,
    );
  for (const key of ['architecture', 'license', 'method', 'relation', 'status'] as const) {
    const n = new Set(f[key] ?? []).size;
    if (n > MAX_FILTER_VALUES) throw new BadInputError(`filter.${key}`, `at most ${MAX_FILTER_VALUES} different values (got ${n})`);
  }
}

export function modelWhere(f: ModelFilter = {}): db.Prisma.ModelWhereInput {
  checkFilterSizes(f);
  const and: db.Prisma.ModelWhereInput[] = [];
  const search = f.search?.trim();
  if (search) {
    // Relations are enum values (WIDTH_PRUNED); "width-pruned" is how the catalog writes them.
    const relations = matching(RELATIONS, search.replace(/-/g, '_'));
    const [owner, name] = search.includes('/') ? search.split('/', 2) : [undefined, undefined];
    and.push({
      OR: [
        { name: { contains: search, mode: 'insensitive' } },
        { owner: { contains: search, mode: 'insensitive' } },
        ...(owner !== undefined
          ? [{ owner: { equals: owner, mode: 'insensitive' as const }, name: { startsWith: name, mode: 'insensitive' as const } }]
          : []),
        { description: { contains: search, mode: 'insensitive' } },
        { tags: { has: search.toLowerCase() } },
        // The way a model was made: "sparsity" or "vocab" (the recipe's method), "width-pruned" or
        // "VOCAB_TRIMMED" (the relation), each matched in part, ignoring case.
        ...matching(METHODS, search).map((m) => ({ parents: { some: { recipe: { path: ['method'], equals: m } } } })),
        ...(relations.length ? [{ parents: { some: { relation: { in: relations } } } }] : []),
      ],
    });
  }
  // Architecture and license match in part, ignoring case ("llama" finds LlamaForCausalLM).
  if (f.architecture?.length)
    and.push({ OR: [...new Set(f.architecture)].map((a) => ({ architecture: { contains: a, mode: 'insensitive' as const } })) });
  if (f.license?.length) and.push({ OR: [...new Set(f.license)].map((l) => ({ license: { contains: l, mode: 'insensitive' as const } })) });
  if (f.status?.length) and.push({ status: { in: [...new Set(f.status)] } });
  if (f.kind) and.push({ kind: f.kind });
  if (f.relation?.length) and.push({ parents: { some: { relation: { in: [...new Set(f.relation)] } } } });
  if (f.method?.length)
    and.push({ OR: [...new Set(f.method)].map((m) => ({ parents: { some: { recipe: { path: ['method'], equals: m } } } })) });
  if (f.minParameters != null || f.maxParameters != null) {
    if (f.minParameters != null && f.maxParameters != null && f.minParameters > f.maxParameters) {
      throw new BadInputError('filter.minParameters', 'must not be larger than filter.maxParameters');
    }
    and.push({ parameterCount: { gte: f.minParameters ?? undefined, lte: f.maxParameters ?? undefined } });
  }
  return and.length ? { AND: and } : {};
}

function orderBy(o: ModelOrder): db.Prisma.ModelOrderByWithRelationInput[] {
  const dir = o.direction === 'ASC' ? 'asc' : 'desc';
  const primary: db.Prisma.ModelOrderByWithRelationInput[] =
    o.field === 'NAME'
      ? [{ owner: dir }, { name: dir }]
      : o.field === 'PARAMETER_COUNT'
        ? [{ parameterCount: { sort: dir, nulls: 'last' } }]
        : o.field === 'BYTE_SIZE'
          ? [{ byteSize: { sort: dir, nulls: 'last' } }]
          : o.field === 'UPDATED_AT'
            ? [{ updatedAt: dir }]
            : [{ createdAt: dir }];
  // The id breaks ties, so a cursor lands on the same place in every page.
  return [...primary, { id: dir }];
}

export interface ModelPage {
  rows: ModelRow[];
  hasNextPage: boolean;
  totalCount: () => Promise<number>;
}

export async function listModels(
  deps: Pick<RegistryDeps, 'prisma'>,
  args: { filter?: ModelFilter | null; orderBy?: ModelOrder | null; first?: number | null; after?: string | null },
): Promise<ModelPage> {
  const first = args.first ?? 20;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) throw new BadInputError('first', `must be between 0 and ${MAX_PAGE}`);
  if (args.after != null && !isUuid(args.after)) throw new BadInputError('after', 'is not a cursor from this connection');
  const where = modelWhere(args.filter ?? {});
  const { prisma } = deps;
  const rows = await prisma.model.findMany({
    where,
    orderBy: orderBy(args.orderBy ?? { field: 'CREATED_AT', direction: 'DESC' }),
    take: first + 1,
    ...(args.after ? { cursor: { id: args.after }, skip: 1 } : {}),
  });
  return { rows: rows.slice(0, first), hasNextPage: rows.length > first, totalCount: () => prisma.model.count({ where }) };
}

export interface ModelUpdate {
  description?: string | null;
  tags?: readonly string[] | null;
  license?: string | null;
}

export function checkTags(tags: readonly string[], field = 'tags'): string[] {
  if (tags.length > 50) throw new BadInputError(field, 'at most 50 tags');
  return [
    ...new Set(
      tags.map((t, i) => {
        const tag = t.trim().toLowerCase();
        if (!/^[a-z0-9][a-z0-9._:-]{0,63}$/.test(tag))
          throw new BadInputError(`${field}[${i}]`, `"${t}" is not a tag (letters, digits, . _ : -)`);
        return tag;
      }),
    ),
  ];
}

/** One limit for a model's description wherever it is set (register, spawn, update): 10,000 characters. */
export const MAX_DESCRIPTION = 10_000;

export function checkDescription(description: string | null | undefined, field = 'description'): string | null {
  if (description == null) return null;
  if (description.length > MAX_DESCRIPTION) {
    throw new BadInputError(
      field,
      `at most ${MAX_DESCRIPTION.toLocaleString('en-US')} characters (got ${description.length.toLocaleString('en-US')})`,
    );
  }
  return description;
}

export function checkLicense(license: string, field = 'license'): string {
  const l = license.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$/.test(l))
    throw new BadInputError(field, `"${license}" is not a license identifier (SPDX or Hub style, e.g. apache-2.0)`);
  return l.toLowerCase();
}

export async function updateModel(deps: Pick<RegistryDeps, 'prisma'>, ref: string, change: ModelUpdate): Promise<ModelRow> {
  const model = await findModel(deps, ref);
  const data: db.Prisma.ModelUpdateInput = {};
  if (change.description !== undefined) data.description = checkDescription(change.description);
  if (change.tags != null) data.tags = checkTags(change.tags);
  if (change.license !== undefined) data.license = change.license === null ? null : checkLicense(change.license);
  return deps.prisma.model.update({ where: { id: model.id }, data });
}

/**
 * Deletes a model (and with `cascade` its descendants), its artifact rows, and the blobs no other
 * artifact refers to. Refused while it has children unless cascading, and while a job runs on it.
 */
export async function deleteModel(deps: RegistryDeps, ref: string, cascade: boolean): Promise<string[]> {
  const { prisma } = deps;
  const model = await findModel(deps, ref);
  const ids = await prisma.$queryRaw<{ id: string }[]>`
    WITH RECURSIVE d(id, path) AS (
      SELECT ${model.id}::uuid, ARRAY[${model.id}::uuid]
      UNION ALL
      SELECT e."childId", d.path || e."childId" FROM d JOIN "LineageEdge" e ON e."parentId" = d.id
      WHERE NOT e."childId" = ANY(d.path)
    )
    SELECT DISTINCT id::text AS id FROM d`;
  const all = ids.map((r) => r.id);
  if (all.length > 1 && !cascade) {
    throw new ConflictError(
      `model ${formatModelName(model)} has ${all.length - 1} descendant(s); delete them first or pass cascade: true`,
      {
        field: 'cascade',
      },
    );
  }
  const running = await prisma.job.count({ where: { modelId: { in: all }, status: 'RUNNING' } });
  if (running > 0) throw new ConflictError('a job is running on this model (or a descendant); cancel it first');
  // Every revision's files, the current one's and the history's.
  const files = await prisma.artifactFile.findMany({
    where: { artifact: { OR: [{ model: { id: { in: all } } }, { revisions: { some: { modelId: { in: all } } } }] } },
    select: { sha256: true },
  });
  try {
    await prisma.$transaction(async (tx) => {
      const artifacts = [
        ...(await tx.model.findMany({ where: { id: { in: all } }, select: { artifactId: true } })),
        ...(await tx.revision.findMany({ where: { modelId: { in: all } }, select: { artifactId: true } })),
      ];
      // Children first: an edge's parent side is ON DELETE RESTRICT.
      await tx.lineageEdge.deleteMany({ where: { OR: [{ childId: { in: all } }, { parentId: { in: all } }] } });
      await tx.model.deleteMany({ where: { id: { in: all } } });
      const artifactIds = artifacts.map((a) => a.artifactId).filter((a): a is string => a !== null);
      await tx.artifact.deleteMany({ where: { id: { in: [...new Set(artifactIds)] } } });
    });
  } catch (err) {
    throw mapPrismaError(err, 'model');
  }
  await removeUnreferencedBlobs(
    deps,
    files.map((f) => f.sha256),
  );
  return all;
}

/** Which of these blobs some artifact lists. */
export async function referencedBlobs(deps: Pick<RegistryDeps, 'prisma'>, hashes: readonly string[]): Promise<Set<string>> {
  const used = await deps.prisma.artifactFile.findMany({
    where: { sha256: { in: [...hashes] } },
    select: { sha256: true },
    distinct: ['sha256'],
  });
  return new Set(used.map((u) => u.sha256));
}

/** Deletes the given blobs unless some artifact still lists them. */
export async function removeUnreferencedBlobs(deps: Pick<RegistryDeps, 'prisma' | 'store'>, hashes: readonly string[]): Promise<void> {
  if (hashes.length === 0) return;
  const unique = [...new Set(hashes)];
  const keep = await referencedBlobs(deps, unique);
  await deps.store.removeBlobs(unique.filter((h) => !keep.has(h)));
}
