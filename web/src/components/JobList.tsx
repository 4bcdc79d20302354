// Jobs of a model with live progress: polled every 2 seconds while any is queued or running.
import { useEffect, useState } from 'react';
import { gql } from '../api';

export interface JobRow {
  id: string;
  kind: string;
  status: string;
  stage: string | null;
  progress: number;
  error: string | null;
  attempts: number;
  logTail: string[];
}

const QUERY = `query($n: String!) { model(name: $n) { status jobs(first: 20) { id kind status stage progress error attempts logTail } } }`;

export function useJobs(name: string, onChange?: (status: string) => void) {
  const [jobs, setJobs] = useState<JobRow[]>([]);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const d = await gql<{ model: { status: string; jobs: JobRow[] } | null }>(QUERY, { n: name }, true);
        if (!live || !d.model) return;
        setJobs(d.model.jobs);
        onChange?.(d.model.status);
        if (d.model.jobs.some((j) => j.status === 'QUEUED' || j.status === 'RUNNING')) timer = setTimeout(tick, 2000);
      } catch {
        timer = setTimeout(tick, 4000);
      }
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [name, onChange]);
  return jobs;
}

export function JobList({ jobs }: { jobs: JobRow[] }) {
  if (!jobs.length) return <p>No jobs.</p>;
  return (
    <ul className="jobs">
      {jobs.map((j) => (
        <li key={j.id}>
          <strong>{j.kind.toLowerCase()}</strong> <span className={`status ${j.status}`}>{j.status}</span> {j.stage ?? ''}{' '}
          {j.attempts > 1 ? `(attempt ${j.attempts})` : ''}
          <progress max={1} value={j.progress} aria-label={`${j.kind.toLowerCase()} progress`} /> {Math.round(j.progress * 100)} %
          {j.error && <div className="error">{j.error}</div>}
        </li>
      ))}
    </ul>
  );
}
