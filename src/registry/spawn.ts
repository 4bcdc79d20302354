// Spawning: a pruning recipe checked against its parent by the core's plan, then the child model
// (QUEUED), its lineage edge and its job written in one transaction with the queue entry.
import { BadInputError, ConflictError } from '../errors.js';
import { methodOf } from '../pruning/methods/index.js';
import { type Plan, planPrune } from '../pruning/plan.js';
import { parseRecipe, type Recipe } from '../pruning/recipe.js';
import { mapDataFilesAsync } from '../recipes/dataFiles.js';
import { dataNameUnder, realRoots } from './dataNames.js';
import type { RegistryDeps } from './deps.js';
import { resolveDataFile } from './importPath.js';
import { createJobIn, jobTransaction, type Tx } from './jobs/index.js';
import { checkDescription, checkNameFree, findModel, type ModelRow } from './models.js';
import { formatModelName, type ModelName, parseModelName } from './names.js';
import { oneAtATime } from './oneAtATime.js';
import { type EvaluationRequest, parseEvaluationRequests } from './payloads.js';
import { mapPrismaError } from './prismaErrors.js';
import { findRevision, revisionConfig } from './revisions.js';

export async function pruningPlan(
  deps: Pick<RegistryDeps, 'prisma' | 'store'>,
  parentRef: string,
  recipeInput: unknown,
  revision = 'main',
): Promise<{ parent: ModelRow; plan: Plan; parentRevision: string | null }> {
  const parent = await findModel(deps, parentRef, 'parent');
  const recipe = parseRecipe(recipeInput);
  if (!parent.config)
    throw new ConflictError(`parent: ${formatModelName(parent)} has no checkpoint yet (status ${parent.status})`, { field: 'parent' });
  const found = await findRevision(deps, parent, revision);
  // An older revision is planned from its own config.json, as stored.
  const config =
    found && found.artifactId !== parent.artifactId
      ? await revisionConfig(deps, found.artifactId)
      : (parent.config as Record<string, unknown>);
  return { parent, plan: planPrune(config, recipe, 'parent.config'), parentRevision: found?.sha ?? null };
}

/**
 * A readable default name that tells siblings apart: `owner/base-width40-maw` (`-ls` with the
 * least-squares refit), `owner/base-depth-l3-4`, `owner/base-depth2-bi` (two blocks chosen by block
 * influence; `-linear` with the linear stand-in), `owner/base-sparse-2of4` (magnitude) and
 * `owner/base-sparse-2of4-sparsegpt` — otherwise a second criterion at the same sparsity would
 * collide with the first.
 */
export function defaultChildName(parent: ModelRow, recipe: Recipe): string {
  return `${formatModelName(parent)}-${methodOf(recipe).childNameSuffix(recipe)}`.slice(0, 180);
}

export interface SpawnInput {
  parent: string;
  /** The parent's revision to prune (a sha from its history); main by default. */
  parentRevision?: string | null;
  recipe: unknown;
  name?: string | null;
  description?: string | null;
  evaluate?: unknown;
}

export async function spawnPrunedVariant(deps: RegistryDeps, input: SpawnInput, createdById: string | null) {
  const description = checkDescription(input.description);
  const { parent, plan, parentRevision } = await pruningPlan(deps, input.parent, input.recipe, input.parentRevision ?? 'main');
  const evaluate: EvaluationRequest[] = await checkEvaluationData(deps, parseEvaluationRequests(input.evaluate), 'evaluate');
  // Data files are checked now and recorded by their name under the import root that holds them
  // (src/registry/dataNames.ts): the recipe is public, a server path is not, and the worker and a
  // card's reproduce command find the file again under their own roots.
  const roots = await realRoots(deps.modelRoots);
  const recipe = await mapDataFilesAsync(plan.recipe, async (name, field) =>
    dataNameUnder(await resolveDataFile(name, deps.modelRoots, field), roots),
  );
  if (parent.status !== 'READY' || !parent.artifactId) {
    throw new ConflictError(`parent: ${formatModelName(parent)} is ${parent.status.toLowerCase()}; only a READY model can be pruned`, {
      field: 'parent',
    });
  }
  const explicit = input.name != null;
  const wanted = parseModelName(input.name ?? defaultChildName(parent, plan.recipe));
  if (explicit) await checkNameFree(deps, wanted);
  for (let attempt = 1; ; attempt++) {
    let name = wanted;
    try {
      const create = () =>
        jobTransaction(deps, async (tx) => {
          // A name the server chooses is chosen in the transaction that takes it, so simultaneous
          // spawns from one base get -2, -3, … (200 at once got 174 CONFLICTs on names nobody gave).
          if (!explicit) name = await freeNameIn(tx, wanted);
          return createChild(deps, tx, { name, parent, parentRevision, plan, recipe, evaluate, description }, createdById);
        });
      return await (explicit ? create() : oneAtATime(nameLockKey(wanted), create));
    } catch (err) {
      // Only a client's explicit name, taken outside the lock between our look and our insert,
      // can collide with a chosen one: choose again. A name the client gave stays its CONFLICT.
      if (!explicit && isUniqueViolation(err) && attempt < 5) continue;
      throw mapPrismaError(err, `name: a model named ${formatModelName(name)}`, 'name');
    }
  }
}

interface NewChild {
  name: ModelName;
  parent: ModelRow;
  parentRevision: string | null;
  plan: Plan;
  recipe: Recipe;
  evaluate: EvaluationRequest[];
  description: string | null;
}

/** The child model (QUEUED), its lineage edge and its PRUNE job, in the caller's transaction. */
async function createChild(deps: RegistryDeps, tx: Tx, c: NewChild, createdById: string | null) {
  const { name, parent, parentRevision, plan, recipe, evaluate, description } = c;
  const child = await tx.model.create({
    data: {
      owner: name.owner,
      name: name.name,
      kind: 'DERIVED',
      status: 'QUEUED',
      architecture: parent.architecture,
      parameterCount: BigInt(plan.parameters.after.total),
      dtype: parent.dtype,
      config: plan.config as object,
      license: parent.license,
      description,
      tags: parent.tags,
    },
  });
  const edge = await tx.lineageEdge.create({
    data: { parentId: parent.id, childId: child.id, relation: methodOf(recipe).relation, recipe: recipe as object, parentRevision },
  });
  const job = await createJobIn(deps, tx, {
    kind: 'PRUNE',
    modelId: child.id,
    payload: { parentId: parent.id, ...(parentRevision ? { parentRevision } : {}), recipe, evaluate },
    createdById,
  });
  return { model: child, edge, job, plan };
}

/**
 * The base name or the first free `base-N`, under a transaction-scoped advisory lock on the base
 * (PostgreSQL's pg_advisory_xact_lock): a second spawn from the same base waits until the first
 * has committed its model, then sees it taken.
 */
async function freeNameIn(tx: Tx, wanted: ModelName): Promise<ModelName> {
  const { owner, name: base } = wanted;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${nameLockKey(wanted)}, 0))`;
  // Names are unique ignoring case (migration 20261130200000), so "taken" ignores case too.
  const taken = await tx.model.findMany({
    where: { owner: { equals: owner, mode: 'insensitive' }, name: { startsWith: base, mode: 'insensitive' } },
    select: { name: true },
  });
  const names = new Set(taken.map((t) => t.name.toLowerCase()));
  const has = (n: string) => names.has(n.toLowerCase());
  if (!has(base)) return { owner, name: base };
  for (let i = 2; ; i++) if (!has(`${base}-${i}`)) return { owner, name: `${base}-${i}` };
}

/** One key per base name, ignoring case as names do. */
function nameLockKey(wanted: ModelName): string {
  return `bonsai-child-name:${formatModelName(wanted)}`.toLowerCase();
}

/** PostgreSQL's unique_violation as Prisma reports it (P2002). */
function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}

export async function evaluateModel(deps: RegistryDeps, ref: string, requests: unknown, createdById: string | null) {
  const model = await findModel(deps, ref);
  const evaluate = await checkEvaluationData(deps, parseEvaluationRequests(requests, 'tasks'), 'tasks');
  if (evaluate.length === 0) throw new BadInputError('tasks', 'give at least one evaluation');
  if (model.status !== 'READY')
    throw new ConflictError(`model: ${formatModelName(model)} is ${model.status.toLowerCase()}, not READY`, { field: 'model' });
  return jobTransaction(deps, async (tx) => {
    const jobs = [];
    // One connection per transaction: the inserts run one after the other.
    for (const request of evaluate)
      jobs.push(await createJobIn(deps, tx, { kind: 'EVALUATE', modelId: model.id, payload: { request }, createdById }));
    return jobs;
  });
}

/** Every data file named by the evaluations, resolved inside the allowed roots. */
async function checkEvaluationData(
  deps: Pick<RegistryDeps, 'modelRoots'>,
  requests: EvaluationRequest[],
  field: string,
): Promise<EvaluationRequest[]> {
  return Promise.all(
    requests.map(async (r, i) => (r.data ? { ...r, data: await resolveDataFile(r.data, deps.modelRoots, `${field}.${i}.data`) } : r)),
  );
}
