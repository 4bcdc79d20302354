// One DataLoader set per request (the DataLoader pattern: graphql/dataloader): each batch function is one SQL statement and returns
// results in key order, so listing N models with their edges, counts and evaluations costs a
// constant number of statements.
import DataLoader from 'dataloader';
import type { db, PrismaClient } from '../src/db/client.js';
import type { Relation } from '../src/db/generated/enums.js';

export interface RelationCount {
  relation: Relation;
  count: number;
}

function groupBy<T, K>(rows: readonly T[], key: (r: T) => K, keys: readonly K[]): T[][] {
  const map = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return keys.map((k) => map.get(k) ?? []);
}

export function createLoaders(prisma: PrismaClient) {
  return {
    model: new DataLoader<string, db.Model | null>(async (ids) => {
      const rows = await prisma.model.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    parentEdges: new DataLoader<string, db.LineageEdge[]>(async (ids) => {
      const rows = await prisma.lineageEdge.findMany({ where: { childId: { in: [...ids] } }, orderBy: { position: 'asc' } });
      return groupBy(rows, (r) => r.childId, ids);
    }),
    childEdges: new DataLoader<string, db.LineageEdge[]>(async (ids) => {
      const rows = await prisma.lineageEdge.findMany({
        where: { parentId: { in: [...ids] } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      return groupBy(rows, (r) => r.parentId, ids);
    }),
    childCounts: new DataLoader<string, RelationCount[]>(async (ids) => {
      const rows = await prisma.lineageEdge.groupBy({
        by: ['parentId', 'relation'],
        where: { parentId: { in: [...ids] } },
        _count: { _all: true },
      });
      return groupBy(rows, (r) => r.parentId, ids).map((g) =>
        g.map((r) => ({ relation: r.relation, count: r._count._all })).sort((a, b) => a.relation.localeCompare(b.relation)),
      );
    }),
    evaluations: new DataLoader<string, db.Evaluation[]>(async (ids) => {
      const rows = await prisma.evaluation.findMany({
        where: { modelId: { in: [...ids] } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      });
      return groupBy(rows, (r) => r.modelId, ids);
    }),
    files: new DataLoader<string, db.ArtifactFile[]>(async (ids) => {
      const rows = await prisma.artifactFile.findMany({ where: { artifactId: { in: [...ids] } }, orderBy: { path: 'asc' } });
      return groupBy(rows, (r) => r.artifactId, ids);
    }),
    jobs: new DataLoader<string, db.Job[]>(async (ids) => {
      const rows = await prisma.job.findMany({ where: { modelId: { in: [...ids] } }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
      return groupBy(rows, (r) => r.modelId!, ids);
    }),
    job: new DataLoader<string, db.Job | null>(async (ids) => {
      const rows = await prisma.job.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
