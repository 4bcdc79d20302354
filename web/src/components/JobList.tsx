// Jobs of a model with live progress: polled every second while any is queued or running or the
// model has not settled (READY or FAILED), as often as a running job writes its progress
// (workers/progress.ts throttles writes to one a second).
import { useEffect, useState } from 'react';
import { describeError, getToken, gql } from '../api';
import { graphql, type ResultOf } from '../graphql';

const QUERY = graphql(
  `query ModelJobs($n: String!) { model(name: $n) { status jobs(first: 20) { id kind status stage progress error attempts logTail } } }`,
);
const CANCEL = graphql('mutation CancelJob($id: ID!) { cancelJob(id: $id) { id } }');
const RETRY = graphql('mutation RetryJob($id: ID!) { retryJob(id: $id) { id } }');

export type JobRow = NonNullable<ResultOf<typeof QUERY>['model']>['jobs'][number];

/** Model statuses no job will change without a new request. */
const SETTLED = new Set(['READY', 'FAILED']);

export function useJobs(name: string, onChange?: (status: string) => void) {
  const [jobs, setJobs] = useState<JobRow[]>([]);
  const [round, setRound] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `round` asks for a new read after an action.
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const d = await gql(QUERY, { n: name }, true);
        if (!live || !d.model) return;
        setJobs(d.model.jobs);
        onChange?.(d.model.status);
        // Until the model settles too: its status and its jobs are read one after the other, so a
        // read can see the last job finished and the model not yet READY (the transaction that
        // ended it committed in between); stopping there left the page on EVALUATING for good.
        const working = d.model.jobs.some((j) => j.status === 'QUEUED' || j.status === 'RUNNING');
        if (working || !SETTLED.has(d.model.status)) timer = setTimeout(tick, 1000);
      } catch {
        timer = setTimeout(tick, 4000);
      }
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [name, onChange, round]);
  return { jobs, refresh: () => setRound((r) => r + 1) };
}

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** Cancel (queued or running) and Retry (failed or cancelled): maintainers only, with the token given in the spawn form. */
function JobActions({ job, onDone }: { job: JobRow; onDone: () => void }) {
  const [problem, setProblem] = useState<string | null>(null);
  if (!getToken()) return null;
  const act = (done: Promise<unknown>) => done.then(onDone).catch((e: Error) => setProblem(describeError(e)));
  return (
    <span className="job-actions">
      {(job.status === 'QUEUED' || job.status === 'RUNNING') && (
        <button type="button" className="secondary small" onClick={() => act(gql(CANCEL, { id: job.id }, true))}>
          Cancel
        </button>
      )}
      {(job.status === 'FAILED' || job.status === 'CANCELLED') && (
        <button type="button" className="secondary small" onClick={() => act(gql(RETRY, { id: job.id }, true))}>
          Retry
        </button>
      )}
      {problem && <span className="error">{problem}</span>}
    </span>
  );
}

function JobItem({ job, onDone }: { job: JobRow; onDone: () => void }) {
  return (
    <>
      <strong>{job.kind.toLowerCase()}</strong> <span className={`status ${job.status}`}>{job.status.toLowerCase()}</span> {job.stage ?? ''}{' '}
      {job.attempts > 1 ? `(attempt ${job.attempts})` : ''}
      <progress max={1} value={job.progress} aria-label={`${job.kind.toLowerCase()} progress`} /> {Math.round(job.progress * 100)} %
      <JobActions job={job} onDone={onDone} />
      {job.error && <div className="error">{job.error}</div>}
    </>
  );
}

/** Running and queued jobs in full; finished ones folded away under a summary. */
export function JobList({ jobs, onChange }: { jobs: JobRow[]; onChange?: () => void }) {
  if (!jobs.length) return <p>No jobs.</p>;
  const active = jobs.filter((j) => !FINISHED.has(j.status));
  const done = jobs.filter((j) => FINISHED.has(j.status));
  const refresh = onChange ?? (() => {});
  return (
    <>
      {active.length > 0 && (
        <ul className="jobs">
          {active.map((j) => (
            <li key={j.id}>
              <JobItem job={j} onDone={refresh} />
            </li>
          ))}
        </ul>
      )}
      {done.length > 0 && (
        <details className="finished-jobs">
          <summary>
            {done.length} finished job{done.length === 1 ? '' : 's'} ({done.filter((j) => j.status === 'SUCCEEDED').length} succeeded)
          </summary>
          <ul className="jobs">
            {done.map((j) => (
              <li key={j.id}>
                <JobItem job={j} onDone={refresh} />
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
