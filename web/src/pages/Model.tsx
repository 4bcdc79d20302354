// A model's page, after the Hub's: a header (name, status, tags, license, architecture, dtype,
// size, where it comes from), then tabs — the model card first, then the files, the tensors
// (what changed against the parent), the evaluations against the parent, the model tree, the
// hardware and the jobs. The tab is in the URL (#/model/OWNER/NAME?tab=files), so reload, back
// and forward keep it.
import { useCallback, useEffect, useState } from 'react';
import { describeError, formatBytes, formatParams, gql, relationLabel } from '../api';
import { JobList, useJobs } from '../components/JobList';
import { Markdown } from '../components/Markdown';
import { Tabs } from '../components/Tabs';
import { href, navigate, useTitle } from '../router';
import { DeleteModel } from './model/DeleteModel';
import { CARD_QUERY, MODEL_QUERY, type ModelData } from './model/data';
import { Evaluations } from './model/Evaluations';
import { Files } from './model/Files';
import { HardwareCalculator } from './model/Hardware';
import { Lineage } from './model/Lineage';
import { Tensors } from './model/Tensors';
import { UseThisModel } from './model/UseThisModel';
import { NotFound } from './NotFound';

const TABS = [
  { id: 'card', title: 'Model card' },
  { id: 'use', title: 'Use this model' },
  { id: 'files', title: 'Files' },
  { id: 'tensors', title: 'Tensors' },
  { id: 'evaluations', title: 'Evaluations' },
  { id: 'tree', title: 'Model tree' },
  { id: 'hardware', title: 'Hardware' },
  { id: 'jobs', title: 'Jobs' },
] as const;

/**
 * Beside the size, what the deduplicated store keeps for this model alone (what deleting it would
 * free) and what it shares with its relatives (a parent's unchanged tensors stored once; issue 31).
 */
function StorageBadge({ own, shared, files }: { own: string; shared: string | null; files: number }) {
  const sentence = `Stored only for this model: ${formatBytes(own)}${shared !== null ? `; shared with relatives: ${formatBytes(shared)}` : ''}`;
  // Its files, not only the weights the size beside counts: the tokenizer and config are shared too.
  return (
    <span
      className="badge"
      title={`${sentence}; all its files: ${formatBytes(files)} (the store keeps each tensor once)`}
      data-testid="storage-badge"
    >
      {formatBytes(own)} own{shared !== null && Number(shared) > 0 ? ` · ${formatBytes(shared)} shared` : ''}
    </span>
  );
}

export function ModelPage({ name, tab }: { name: string; tab: string | null }) {
  useTitle(name);
  const [model, setModel] = useState<ModelData | null | undefined>(undefined);
  const [card, setCard] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const selected = TABS.find((t) => t.id === tab)?.id ?? 'card';

  const load = useCallback(() => {
    gql(MODEL_QUERY, { n: name }, true)
      .then((d) => setModel(d.model))
      .catch((e: Error) => setError(describeError(e)));
    gql(CARD_QUERY, { n: name }, true)
      .then((d) => setCard(d.model?.card.markdown ?? null))
      .catch(() => setCard(null));
  }, [name]);
  useEffect(load, [load]);
  // When a job finishes the model changes (READY, files, evaluations): read it again.
  const onStatus = useCallback(
    (s: string) => {
      setStatus((prev) => {
        if (prev !== null && prev !== s) load();
        return s;
      });
    },
    [load],
  );
  const { jobs, refresh } = useJobs(name, onStatus);

  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (model === undefined) return <p>Loading…</p>;
  if (model === null) return <NotFound what={`There is no model named ${name} in this registry.`} />;
  const count = (id: string) =>
    id === 'files' ? model.files.length : id === 'jobs' ? jobs.length : id === 'evaluations' ? model.evaluations.length : 0;
  return (
    <article aria-labelledby="model-title" className="model-page">
      <header className="model-header">
        <h1 id="model-title">{model.name}</h1>
        <p className="badges">
          <span className={`status ${status ?? model.status}`}>{(status ?? model.status).toLowerCase()}</span>
          {model.license && <span className="badge">license: {model.license}</span>}
          {model.architecture && <span className="badge">{model.architecture}</span>}
          {model.dtype && <span className="badge">{model.dtype}</span>}
          <span className="badge">{formatParams(model.parameterCount)} parameters</span>
          {model.byteSize && <span className="badge">{formatBytes(model.byteSize)}</span>}
          {model.ownBytes !== null && (
            <StorageBadge own={model.ownBytes} shared={model.sharedBytes} files={model.files.reduce((n, f) => n + Number(f.size), 0)} />
          )}
          {model.tags.map((t) => (
            <a key={t} className="tag" href={`#/?q=${encodeURIComponent(t)}`}>
              {t}
            </a>
          ))}
        </p>
        {model.parents.map((p) => (
          <p key={p.parent.name} className="lineage">
            {relationLabel(p.relation, p.method)} from <a href={href('model', p.parent.name)}>{p.parent.name}</a>
          </p>
        ))}
        <nav className="actions" aria-label="model actions">
          <a href={href('tree', model.name)}>Model tree</a>
          <a href={href('spawn', model.name)}>Spawn a pruned variant</a>
          <a href={`/models/${model.name}/README.md`}>README.md</a>
          <DeleteModel name={model.name} />
        </nav>
      </header>

      <Tabs
        label="model sections"
        tabs={TABS.map((t) => ({ id: t.id, label: count(t.id) ? `${t.title} (${count(t.id)})` : t.title }))}
        selected={selected}
        onSelect={(id) => navigate(href('model', model.name, id === 'card' ? undefined : id))}
      >
        {selected === 'card' && (
          <div className={model.authorCard ? 'cards-side-by-side' : undefined}>
            {model.authorCard && (
              <section aria-labelledby="author-card-title" className="card-section">
                <h2 id="author-card-title" className="card-source">
                  README.md <span className="muted">from the author</span>
                </h2>
                <Markdown source={model.authorCard} title={model.name} />
              </section>
            )}
            <section aria-label="model card" className="card-section">
              {model.authorCard && (
                <h2 className="card-source">
                  Model card <span className="muted">generated by Bonsai</span>
                </h2>
              )}
              {card ? <Markdown source={card} title={model.name} /> : <p>The card comes with the weights.</p>}
            </section>
          </div>
        )}
        {selected === 'use' && <UseThisModel model={model} card={card} onQueued={refresh} />}
        {selected === 'files' && <Files model={model} />}
        {selected === 'tensors' && <Tensors name={model.name} hasParent={model.parents.length > 0} />}
        {selected === 'evaluations' && <Evaluations model={model} />}
        {selected === 'tree' && <Lineage model={model} />}
        {selected === 'hardware' && (
          <section aria-label="hardware">
            {model.parameterCount ? (
              <HardwareCalculator name={model.name} architecture={model.architecture} />
            ) : (
              <p>The hardware figures come with the weights.</p>
            )}
          </section>
        )}
        {selected === 'jobs' && (
          <section aria-label="jobs">
            <JobList jobs={jobs} onChange={refresh} />
          </section>
        )}
      </Tabs>
    </article>
  );
}
