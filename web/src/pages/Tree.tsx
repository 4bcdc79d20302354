import { useCallback, useEffect, useMemo, useState } from 'react';
import { comparableKey, tokenizerSha256 } from '../../../src/eval/comparable';
import { lowerIsBetter } from '../../../src/eval/metrics';
import { describeError, gql } from '../api';
import { type Point, QualityChart } from '../components/QualityChart';
import { TreeGraph, type TreeNodeData } from '../components/TreeGraph';
import { graphql, MeasuredFields, type ResultOf } from '../graphql';
import { compareResults, notComparable } from '../quality';
import { href, navigate, useTitle } from '../router';
import { NotFound } from './NotFound';

/** A recipe in words for the edge's tooltip: its fields, without the type name. */
function recipeText(r: Record<string, unknown> | null): string | null {
  if (!r) return null;
  const parts = Object.entries(r)
    .filter(([k, v]) => k !== '__typename' && v !== null && v !== undefined)
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  return parts.join('; ') || null;
}

const QUERY = graphql(
  `query ModelTree($root: String!) { modelTree(root: $root, depth: 12) {
  root { databaseId name }
  nodes { depth model { databaseId name status parameterCount ...Measured } }
  edges { relation position parent { databaseId } child { databaseId }
    recipe { __typename
      ... on MlpWidthRecipe { method criterion pruningFraction intermediateSize reconstruct }
      ... on DepthRecipe { method criterion layers last count reconstruct }
      ... on SparsityRecipe { method criterion sparsity pattern }
      ... on VocabRecipe { method corpus minFrequency vocabSize }
      ... on ExternalRecipe { method } } }
} }`,
  [MeasuredFields],
);
type TreeData = ResultOf<typeof QUERY>['modelTree'];

const ROOT_OF = graphql('query RootOf($n: String!) { model(name: $n) { root { name } } }');

export function TreePage({ name }: { name: string }) {
  useTitle(`${name} · model tree`);
  const [tree, setTree] = useState<TreeData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [metric, setMetric] = useState('perplexity:perplexity');
  const [notFound, setNotFound] = useState(false);
  const openModel = useCallback((n: string) => navigate(href('model', n)), []);
  useEffect(() => {
    // The tree is drawn from the root of the model's family.
    gql(ROOT_OF, { n: name })
      .then((d) => {
        if (!d.model) {
          setNotFound(true);
          return;
        }
        return gql(QUERY, { root: d.model.root.name }).then((t) => setTree(t.modelTree));
      })
      .catch((e: Error) => setError(describeError(e)));
  }, [name]);

  const root = useMemo(() => {
    if (!tree) return null;
    const byId = new Map<string, TreeNodeData>(
      tree.nodes.map((n) => [
        n.model.databaseId,
        {
          id: n.model.databaseId,
          name: n.model.name,
          status: n.model.status,
          parameterCount: n.model.parameterCount,
          children: [],
          relation: null,
          recipe: null,
        },
      ]),
    );
    // Drawn along first parents: a merge appears under its primary parent.
    for (const e of tree.edges.filter((x) => x.position === 0)) {
      const child = byId.get(e.child.databaseId);
      const parent = byId.get(e.parent.databaseId);
      if (child && parent) {
        child.relation = e.relation;
        child.recipe = recipeText(e.recipe as Record<string, unknown> | null);
        parent.children.push(child);
      }
    }
    return byId.get(tree.root.databaseId) ?? null;
  }, [tree]);

  const metrics = useMemo(() => {
    const set = new Set<string>();
    for (const n of tree?.nodes ?? []) for (const e of n.model.evaluations) set.add(`${e.task}:${e.metric}`);
    return [...set].sort();
  }, [tree]);
  const points: Point[] = useMemo(() => {
    const [task, m] = metric.split(':');
    const rootModel = tree?.nodes.find((n) => n.model.databaseId === tree.root.databaseId)?.model;
    return (tree?.nodes ?? []).flatMap((n) => {
      const e = n.model.evaluations.find((x) => x.task === task && x.metric === m);
      if (!e || !n.model.parameterCount) return [];
      const key = comparableKey(e, tokenizerSha256(n.model.files));
      // Why a result is shown apart, in the words of the Evaluations tab and the list (quality.ts).
      const c = rootModel && rootModel !== n.model ? compareResults(e, n.model, rootModel) : null;
      const note = c && !c.comparable ? notComparable(c) : undefined;
      return [{ name: n.model.name, parameters: Number(n.model.parameterCount), value: e.value, comparableKey: key, note }];
    });
  }, [tree, metric]);

  if (error) return <p className="error">{error}</p>;
  if (notFound) return <NotFound what={`There is no model named ${name} in this registry.`} />;
  if (!tree || !root) return <p>Loading…</p>;
  const generations = Math.max(...tree.nodes.map((n) => n.depth)) + 1;
  return (
    <section aria-labelledby="tree-title">
      <h1 id="tree-title">Model tree of {tree.root.name}</h1>
      <p>
        {tree.nodes.length} models over {generations} generation{generations > 1 ? 's' : ''}.{' '}
        <a href={href('model', name)}>Back to {name}</a>
      </p>
      <TreeGraph root={root} current={name} />
      <h2>Quality against size</h2>
      {metrics.length ? (
        <>
          <label>
            Metric{' '}
            <select value={metric} onChange={(e) => setMetric(e.target.value)}>
              {metrics.map((m) => (
                <option key={m} value={m}>
                  {m.replace(':', ' · ')}
                </option>
              ))}
            </select>
          </label>
          <QualityChart
            points={points}
            metric={metric.split(':')[1]!}
            lowerIsBetter={lowerIsBetter(metric.split(':')[1]!)}
            reference={tree.root.name}
            onOpen={openModel}
          />
        </>
      ) : (
        <p>No evaluations in this tree yet: evaluate models to compare their quality.</p>
      )}
    </section>
  );
}
