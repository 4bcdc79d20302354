// A spawned child's progress: its status and jobs while they run, and once READY what its
// evaluation measured beside the parent's (the catalog's one comparison rule, quality.ts).
import { useEffect, useState } from 'react';
import { gql } from '../../api';
import { JobList, useJobs } from '../../components/JobList';
import { graphql, MeasuredFields, type ResultOf } from '../../graphql';
import { compareResults, comparisonText } from '../../quality';
import { href } from '../../router';

const CHILD = graphql(`query SpawnedChild($n: String!) { model(name: $n) { ...Measured parents { parent { ...Measured } } } }`, [
  MeasuredFields,
]);
type Child = NonNullable<ResultOf<typeof CHILD>['model']>;

export function Progress({ name }: { name: string }) {
  const [status, setStatus] = useState('QUEUED');
  const { jobs, refresh } = useJobs(name, setStatus);
  const [child, setChild] = useState<Child | null>(null);
  useEffect(() => {
    if (status !== 'READY') return;
    gql(CHILD, { n: name }, true)
      .then((d) => setChild(d.model))
      .catch(() => setChild(null));
  }, [name, status]);
  const parent = child?.parents[0]?.parent;
  const shown = child?.evaluations.filter((e) => e.metric === 'perplexity') ?? [];
  return (
    <section aria-label="progress" className="card">
      <h2>
        <a href={href('model', name)}>{name}</a>{' '}
        <span className={`status ${status}`} data-testid="spawn-status">
          {status}
        </span>
      </h2>
      {status === 'READY' && child && (
        <div data-testid="spawn-measured">
          {shown.length === 0 ? (
            <p>Ready. No perplexity was asked for: evaluate it from the model's page.</p>
          ) : (
            shown.map((e) => (
              <p key={`${e.dataset}-${JSON.stringify(e.settings)}`}>
                Perplexity on {e.dataset ?? 'the data'}: <strong>{e.value.toFixed(2)}</strong>
                {parent && <> — against the parent: {comparisonText(compareResults(e, child, parent), e.value)}</>}
              </p>
            ))
          )}
        </div>
      )}
      <JobList jobs={jobs} onChange={refresh} />
    </section>
  );
}
