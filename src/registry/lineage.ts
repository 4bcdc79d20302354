// The model tree: recursive CTEs over LineageEdge, each one statement. Every walk carries the
// path it came by and never revisits a node on it, so even a cycle written by hand into the
// table cannot make a query run forever.
import { type db, rawQuery } from '../db/client.js';
import type { Relation } from '../db/generated/enums.js';
import { BadInputError } from '../errors.js';
import type { RegistryDeps } from './deps.js';

export interface TreeNode {
  id: string;
  /** Generations from the root of the walk (shortest path when merges give several). */
  depth: number;
  /** The model row, when the query that found the node read it too. */
  model?: db.Model;
}

export interface TreeEdge {
  id: string;
  parentId: string;
  childId: string;
  relation: Relation;
  recipe: unknown;
  position: number;
  createdAt: Date;
}

export interface Tree {
  nodes: TreeNode[];
  edges: TreeEdge[];
}

export const MAX_TREE_DEPTH = 64;

function checkDepth(depth: number): number {
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_TREE_DEPTH)
    throw new BadInputError('depth', `must be between 0 and ${MAX_TREE_DEPTH}`);
  return depth;
}

/** The tree walk ($1 root id, $2 depth): exported so the benchmark can run the same statement bare. */
export const TREE_SQL = `WITH RECURSIVE walk(id, depth, path) AS (
       SELECT $1::uuid, 0, ARRAY[$1::uuid]
       UNION ALL
       SELECT e."childId", w.depth + 1, w.path || e."childId"
       FROM walk w JOIN "LineageEdge" e ON e."parentId" = w.id
       WHERE w.depth < $2 AND NOT e."childId" = ANY(w.path)
     ), nodes AS (
       SELECT id, min(depth) AS depth FROM walk GROUP BY id
     )
     SELECT m.id::text AS id, m.owner, m.name, m.kind::text AS kind, m.status::text AS status, m.architecture,
            m."parameterCount"::text AS "parameterCount", m."byteSize"::text AS "byteSize", m.dtype, m.config, m.license,
            m.description, m.tags, m."artifactId"::text AS "artifactId", m."createdAt", m."updatedAt", n.depth::int AS depth,
            te.id::text AS "edgeId", te."parentId"::text AS "edgeParentId", te.relation::text AS "edgeRelation",
            te.recipe AS "edgeRecipe", te.position AS "edgePosition", te."createdAt" AS "edgeCreatedAt"
     FROM nodes n JOIN "Model" m ON m.id = n.id LEFT JOIN "LineageEdge" te ON te."childId" = n.id
     ORDER BY n.depth, m."createdAt", m.id, te.position`;

/**
 * The root and its descendants down to `depth` generations, in one statement: each node comes
 * with its model row and its incoming edges from inside the tree, so a 10,000-node tree is one
 * round trip to Postgres (Prisma 7's query compiler is slow on such reads: hot paths as a raw recursive CTE).
 */
export async function descendantTree(deps: Pick<RegistryDeps, 'prisma'>, rootId: string, depth: number): Promise<Tree> {
  checkDepth(depth);
  // Through the client's pg pool: Prisma's decoding of 10,000 raw rows costs several times the
  // query itself. pg gives bigint as text (exact), timestamps as Date and json parsed.
  const rows = await rawQuery<RawTreeRow>(deps.prisma, TREE_SQL, [rootId, depth]);
  const nodes: TreeNode[] = [];
  const incoming: TreeEdge[] = [];
  for (const r of rows) {
    // A node with several parents in the tree (a merge) comes once per incoming edge.
    if (nodes.at(-1)?.id !== r.id) {
      const {
        depth: d,
        parameterCount,
        byteSize,
        edgeId,
        edgeParentId,
        edgeRelation,
        edgeRecipe,
        edgePosition,
        edgeCreatedAt,
        ...rest
      } = r;
      const model: db.Model = {
        ...rest,
        parameterCount: parameterCount === null ? null : BigInt(parameterCount),
        byteSize: byteSize === null ? null : BigInt(byteSize),
      };
      nodes.push({ id: model.id, depth: d, model });
    }
    if (r.edgeId !== null) {
      incoming.push({
        id: r.edgeId,
        parentId: r.edgeParentId!,
        childId: r.id,
        relation: r.edgeRelation!,
        recipe: r.edgeRecipe,
        position: r.edgePosition!,
        createdAt: r.edgeCreatedAt!,
      });
    }
  }
  // Edges from parents outside the tree (the root's own parents, a merge's other parents) are left out.
  const inTree = new Set(nodes.map((n) => n.id));
  return { nodes, edges: incoming.filter((e) => inTree.has(e.parentId)) };
}

type RawTreeRow = Omit<db.Model, 'parameterCount' | 'byteSize'> & {
  parameterCount: string | null;
  byteSize: string | null;
  depth: number;
  edgeId: string | null;
  edgeParentId: string | null;
  edgeRelation: Relation | null;
  edgeRecipe: unknown;
  edgePosition: number | null;
  edgeCreatedAt: Date | null;
};

/** Every ancestor, nearest first (distance 1 = parents). */
export async function ancestors(deps: Pick<RegistryDeps, 'prisma'>, id: string): Promise<TreeNode[]> {
  const rows = await deps.prisma.$queryRaw<Array<{ id: string; depth: number }>>`
    WITH RECURSIVE walk(id, depth, path) AS (
      SELECT ${id}::uuid, 0, ARRAY[${id}::uuid]
      UNION ALL
      SELECT e."parentId", w.depth + 1, w.path || e."parentId"
      FROM walk w JOIN "LineageEdge" e ON e."childId" = w.id
      WHERE NOT e."parentId" = ANY(w.path) AND w.depth < ${MAX_TREE_DEPTH}
    )
    SELECT id::text AS id, min(depth)::int AS depth FROM walk WHERE depth > 0 GROUP BY id ORDER BY 2, 1`;
  return rows;
}

/** Path from the model up to its root along first parents, the model first. */
export async function pathToRoot(deps: Pick<RegistryDeps, 'prisma'>, id: string): Promise<string[]> {
  const rows = await deps.prisma.$queryRaw<Array<{ id: string }>>`
    WITH RECURSIVE walk(id, depth, path) AS (
      SELECT ${id}::uuid, 0, ARRAY[${id}::uuid]
      UNION ALL
      SELECT e."parentId", w.depth + 1, w.path || e."parentId"
      FROM walk w JOIN "LineageEdge" e ON e."childId" = w.id AND e.position = 0
      WHERE NOT e."parentId" = ANY(w.path) AND w.depth < ${MAX_TREE_DEPTH}
    )
    SELECT id::text AS id FROM walk ORDER BY depth`;
  return rows.map((r) => r.id);
}

/**
 * The root of a model's tree: the end of its first-parent line. A merge has several roots; this
 * is the line of its primary parent, as on the Hub.
 */
export async function rootOf(deps: Pick<RegistryDeps, 'prisma'>, id: string): Promise<string> {
  return (await pathToRoot(deps, id)).at(-1) ?? id;
}
