import { useEffect, useMemo, useState } from 'react';
import { lowerIsBetter } from '../../../src/eval/metrics';
import { gql } from '../api';
import { type Point, QualityChart } from '../components/QualityChart';
import { TreeGraph, type TreeNodeData } from '../components/TreeGraph';
import { href } from '../router';

interface TreeData {
  root: { databaseId: string; name: string };
  nodes: Array<{
    depth: number;
    model: {
      databaseId: string;
      name: string;
      status: string;
      parameterCount: string | null;
      evaluations: Array<{ task: string; metric: string; value: number; settings: Record<string, unknown> }>;
    };
  }>;
  edges: Array<{ relation: string; position: number; parent: { databaseId: string }; child: { databaseId: string } }>;
}

const QUERY = `query($root: String!) { modelTree(root: $root, depth: 12) {
  root { databaseId name }
  nodes { depth model { databaseId name status parameterCount evaluations { task metric value settings } } }
  edges { relation position parent { databaseId } child { databaseId } }
} }`;

export function TreePage({ name }: { name: string }) {
  const [tree, setTree] = useState<TreeData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [metric, setMetric] = useState('perplexity:perplexity');
  useEffect(() => {
    // The tree is drawn from the root of the model's family.
    gql<{ model: { root: { name: string } } | null }>(`query($n: String!) { model(name: $n) { root { name } } }`, { n: name })
      .then((d) => gql<{ modelTree: TreeData }>(QUERY, { root: d.model?.root.name ?? name }))
      .then((d) => setTree(d.modelTree))
      .catch((e: Error) => setError(e.message));
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
        },
      ]),
    );
    // Drawn along first parents: a merge appears under its primary parent.
    for (const e of tree.edges.filter((x) => x.position === 0)) {
      const child = byId.get(e.child.databaseId);
      const parent = byId.get(e.parent.databaseId);
      if (child && parent) {
        child.relation = e.relation;
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
    return (tree?.nodes ?? []).flatMap((n) => {
      const e = n.model.evaluations.find((x) => x.task === task && x.metric === m);
      return e && n.model.parameterCount ? [{ name: n.model.name, parameters: Number(n.model.parameterCount), value: e.value }] : [];
    });
  }, [tree, metric]);

  if (error) return <p className="error">{error}</p>;
  if (!tree || !root) return <p>Loading…</p>;
  const generations = Math.max(...tree.nodes.map((n) => n.depth)) + 1;
  return (
    <section aria-labelledby="tree-title">
      <h1 id="tree-title">Model tree of {tree.root.name}</h1>
      <p>
        {tree.nodes.length} models over {generations} generation{generations > 1 ? 's' : ''}.{' '}
        <a href={href('model', name)}>Back to {name}</a>
      </p>
      <TreeGraph root={root} />
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
          <QualityChart points={points} metric={metric.split(':')[1]!} lowerIsBetter={lowerIsBetter(metric.split(':')[1]!)} />
        </>
      ) : (
        <p>No evaluations in this tree yet: evaluate models to compare their quality.</p>
      )}
    </section>
  );
}
