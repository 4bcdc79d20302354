// The values resolvers receive for each object type (Nexus `sourceType`): Prisma rows and the
// core's plain objects, never GraphQL shapes.
import type { db } from '../src/db/client.js';
import type { Plan } from '../src/pruning/plan.js';
import type { TreeNode } from '../src/registry/lineage.js';

export type ModelSource = db.Model;
export type EdgeSource = Pick<db.LineageEdge, 'id' | 'parentId' | 'childId' | 'relation' | 'position' | 'createdAt'> & {
  recipe: unknown;
  /** The parent's revision the child was made from (not read by tree queries). */
  parentRevision?: string | null;
  /** Attached when the query that found the edge read its models too (trees). */
  parentModel?: db.Model;
  childModel?: db.Model;
};
export type JobSource = db.Job;
export type EvaluationSource = db.Evaluation;
export type FileSource = db.ArtifactFile;
export type RevisionSource = db.Revision;
export type TokenSource = db.ApiToken;
export type PlanSource = Plan;
export interface TreeSource {
  rootId: string;
  nodes: TreeNode[];
  edges: EdgeSource[];
}
export interface TreeNodeSource extends TreeNode {}
export interface ModelPageSource {
  rows: db.Model[];
  hasNextPage: boolean;
  after: string | null;
  totalCount: () => Promise<number>;
}
