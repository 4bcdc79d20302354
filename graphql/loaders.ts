// One DataLoader set per request (the DataLoader pattern: graphql/dataloader), so nothing cached
// for one caller reaches another. Each batch function is one registry read over all the ids a
// tick asked for (src/registry/batchReads.ts, one SQL statement, rows in key order).
import DataLoader from 'dataloader';
import type { db } from '../src/db/client.js';
import {
  childCountsOf,
  childEdgesOf,
  evaluationsOf,
  filesOf,
  jobsByIds,
  jobsOfModels,
  modelsByIds,
  parentEdgesOf,
  type RelationCount,
} from '../src/registry/batchReads.js';
import type { RegistryDeps } from '../src/registry/deps.js';

export function createLoaders(deps: RegistryDeps) {
  return {
    model: new DataLoader<string, db.Model | null>((ids) => modelsByIds(deps, ids)),
    parentEdges: new DataLoader<string, db.LineageEdge[]>((ids) => parentEdgesOf(deps, ids)),
    childEdges: new DataLoader<string, db.LineageEdge[]>((ids) => childEdgesOf(deps, ids)),
    childCounts: new DataLoader<string, RelationCount[]>((ids) => childCountsOf(deps, ids)),
    evaluations: new DataLoader<string, db.Evaluation[]>((ids) => evaluationsOf(deps, ids)),
    files: new DataLoader<string, db.ArtifactFile[]>((ids) => filesOf(deps, ids)),
    jobs: new DataLoader<string, db.Job[]>((ids) => jobsOfModels(deps, ids)),
    job: new DataLoader<string, db.Job | null>((ids) => jobsByIds(deps, ids)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
