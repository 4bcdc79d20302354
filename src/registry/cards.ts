// Gathers a model's card input from the registry: its config and exact parameter count, its
// parents (with their configs, counts and evaluations, for the deltas), its evaluations, the
// path to its root and its children per relation.
import type { Card, CardEvaluation, CardInput, CardParent } from '../cards/input.js';
import { renderCard } from '../cards/render.js';
import type { db } from '../db/client.js';
import { ConflictError } from '../errors.js';
import { publicRecipe } from './dataNames.js';
import type { RegistryDeps } from './deps.js';
import { pathToRoot } from './lineage.js';
import { formatModelName } from './names.js';

function evaluation(e: db.Evaluation): CardEvaluation {
  return {
    task: e.task,
    metric: e.metric,
    value: e.value,
    stderr: e.stderr,
    dataset: e.dataset,
    settings: (e.settings ?? {}) as Record<string, unknown>,
  };
}

export async function cardInput(
  deps: Pick<RegistryDeps, 'prisma'>,
  model: db.Model,
  options: { contextLength?: number; batchSize?: number } = {},
): Promise<CardInput> {
  if (!model.config || model.parameterCount === null) {
    throw new ConflictError(
      `model ${formatModelName(model)} has no checkpoint yet (status ${model.status}); its card comes with its weights`,
    );
  }
  const { prisma } = deps;
  const [edges, evaluations, path, counts] = await Promise.all([
    prisma.lineageEdge.findMany({
      where: { childId: model.id },
      orderBy: { position: 'asc' },
      include: { parent: { include: { evaluations: true } } },
    }),
    prisma.evaluation.findMany({ where: { modelId: model.id }, orderBy: [{ task: 'asc' }, { metric: 'asc' }] }),
    pathToRoot(deps, model.id),
    prisma.lineageEdge.groupBy({ by: ['relation'], where: { parentId: model.id }, _count: { _all: true } }),
  ]);
  const pathModels = await prisma.model.findMany({ where: { id: { in: path } }, select: { id: true, owner: true, name: true } });
  const pathEdges = await prisma.lineageEdge.findMany({
    where: { childId: { in: path }, position: 0 },
    select: { childId: true, relation: true },
  });
  // "The same tokenizer" is what the catalog compares too (src/eval/comparable.ts): tokenizer.json's sha256.
  const artifactIds = [model.artifactId, ...edges.map((e) => e.parent.artifactId)].filter((id): id is string => id !== null);
  const tokenizers = await prisma.artifactFile.findMany({
    where: { artifactId: { in: artifactIds }, path: 'tokenizer.json' },
    select: { artifactId: true, sha256: true },
  });
  const tokenizerOf = (artifactId: string | null) => tokenizers.find((t) => t.artifactId === artifactId)?.sha256 ?? null;
  const nameOf = new Map(pathModels.map((m) => [m.id, `${formatModelName(m)}`]));
  const relationInto = new Map(pathEdges.map((e) => [e.childId, e.relation as string]));
  return {
    name: `${formatModelName(model)}`,
    license: model.license,
    description: model.description,
    tags: model.tags,
    config: model.config as Record<string, unknown>,
    parameterCount: Number(model.parameterCount),
    dtype: model.dtype,
    parents: edges.map((e) => ({
      name: `${formatModelName(e.parent)}`,
      relation: e.relation,
      recipe: publicRecipe(e.recipe as Record<string, unknown>),
      result: e.result as CardParent['result'],
      config: e.parent.config as Record<string, unknown> | null,
      parameterCount: e.parent.parameterCount === null ? null : Number(e.parent.parameterCount),
      evaluations: e.parent.evaluations.map(evaluation),
      sameTokenizer: tokenizerOf(model.artifactId) === tokenizerOf(e.parent.artifactId),
    })),
    evaluations: evaluations.map(evaluation),
    pathToRoot: path.map((id) => ({ name: nameOf.get(id) ?? id, relation: relationInto.get(id) ?? null })),
    childCounts: counts.map((c) => ({ relation: c.relation, count: c._count._all })),
    contextLength: options.contextLength,
    batchSize: options.batchSize,
  };
}

/**
 * A model's card, rendered from the registry's rows: what GraphQL's Model.card, the README.md
 * route, the Hub's file listing and `bonsai export` all serve, so they cannot disagree.
 */
export async function modelCard(
  deps: Pick<RegistryDeps, 'prisma'>,
  model: db.Model,
  options: { contextLength?: number; batchSize?: number } = {},
): Promise<Card> {
  return renderCard(await cardInput(deps, model, options));
}
