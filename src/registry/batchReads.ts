// Reads by many ids at once, one SQL statement each, for the API's per-request DataLoaders
// (graphql/loaders.ts): listing N models with their edges, counts, evaluations, files and jobs
// costs a constant number of statements. Each answers in the order of `ids`, as DataLoader's
// batch functions must (graphql/dataloader, "Batch Function"): a missing row is null, a model
// without children an empty list.
import type { db } from '../db/client.js';
import type { Relation } from '../db/generated/enums.js';
import type { RegistryDeps } from './deps.js';

type Deps = Pick<RegistryDeps, 'prisma'>;

export interface RelationCount {
  relation: Relation;
  count: number;
}

function inKeyOrder<T>(rows: readonly T[], key: (r: T) => string, ids: readonly string[]): T[][] {
  const map = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return ids.map((k) => map.get(k) ?? []);
}

function oneEach<T extends { id: string }>(rows: readonly T[], ids: readonly string[]): Array<T | null> {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}

export async function modelsByIds(deps: Deps, ids: readonly string[]): Promise<Array<db.Model | null>> {
  return oneEach(await deps.prisma.model.findMany({ where: { id: { in: [...ids] } } }), ids);
}

/** Each model's edges from its parents, primary parent first. */
export async function parentEdgesOf(deps: Deps, ids: readonly string[]): Promise<db.LineageEdge[][]> {
  const rows = await deps.prisma.lineageEdge.findMany({ where: { childId: { in: [...ids] } }, orderBy: { position: 'asc' } });
  return inKeyOrder(rows, (r) => r.childId, ids);
}

/** Each model's edges to its children, oldest first. */
export async function childEdgesOf(deps: Deps, ids: readonly string[]): Promise<db.LineageEdge[][]> {
  const rows = await deps.prisma.lineageEdge.findMany({
    where: { parentId: { in: [...ids] } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return inKeyOrder(rows, (r) => r.parentId, ids);
}

/** Each model's children counted per relation, relations in name order. */
export async function childCountsOf(deps: Deps, ids: readonly string[]): Promise<RelationCount[][]> {
  const rows = await deps.prisma.lineageEdge.groupBy({
    by: ['parentId', 'relation'],
    where: { parentId: { in: [...ids] } },
    _count: { _all: true },
  });
  return inKeyOrder(rows, (r) => r.parentId, ids).map((g) =>
    g.map((r) => ({ relation: r.relation, count: r._count._all })).sort((a, b) => a.relation.localeCompare(b.relation)),
  );
}

/** Each model's evaluations, newest first. */
export async function evaluationsOf(deps: Deps, ids: readonly string[]): Promise<db.Evaluation[][]> {
  const rows = await deps.prisma.evaluation.findMany({
    where: { modelId: { in: [...ids] } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return inKeyOrder(rows, (r) => r.modelId, ids);
}

/** Each artifact's files, by path. */
export async function filesOf(deps: Deps, artifactIds: readonly string[]): Promise<db.ArtifactFile[][]> {
  const rows = await deps.prisma.artifactFile.findMany({ where: { artifactId: { in: [...artifactIds] } }, orderBy: { path: 'asc' } });
  return inKeyOrder(rows, (r) => r.artifactId, artifactIds);
}

/** Each model's jobs, newest first. */
export async function jobsOfModels(deps: Deps, ids: readonly string[]): Promise<db.Job[][]> {
  const rows = await deps.prisma.job.findMany({
    where: { modelId: { in: [...ids] } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return inKeyOrder(rows, (r) => r.modelId!, ids);
}

export async function jobsByIds(deps: Deps, ids: readonly string[]): Promise<Array<db.Job | null>> {
  return oneEach(await deps.prisma.job.findMany({ where: { id: { in: [...ids] } } }), ids);
}
