// A model's page, after the Hub's: a header (name, status, tags, license, architecture, dtype,
// size, description, where it comes from and what was made from it), the rendered card first, then
// sections for the files, the evaluations against the parent, the model tree and the jobs.
import { useCallback, useEffect, useState } from 'react';
import { HARDWARE_LIMITS } from '../../../src/cards/limits';
import { compareWithParent, tokenizerSha256 } from '../../../src/eval/comparable';
import { describeError, formatBytes, formatParams, getToken, gql, relationLabel } from '../api';
import { CopyButton } from '../components/CopyButton';
import { JobList, useJobs } from '../components/JobList';
import { Markdown } from '../components/Markdown';
import { href, navigate, useTitle } from '../router';
import { NotFound } from './NotFound';

interface Evaluation {
  task: string;
  metric: string;
  value: number;
  dataset: string | null;
  settings: Record<string, unknown>;
}

interface ModelData {
  name: string;
  status: string;
  description: string | null;
  tags: string[];
  license: string | null;
  architecture: string | null;
  parameterCount: string | null;
  byteSize: string | null;
  dtype: string | null;
  files: Array<{ path: string; sha256: string; size: string }>;
  revision: string | null;
  revisions: Array<{ sha: string; message: string; source: string | null; createdAt: string }>;
  onnx: { files: Array<{ path: string; size: string; url: string }> } | null;
  evaluations: Evaluation[];
  parents: Array<{
    relation: string;
    method: string | null;
    parent: { name: string; files: Array<{ path: string; sha256: string }>; evaluations: Evaluation[] };
  }>;
  children: Array<{ relation: string; method: string | null; child: { name: string; parameterCount: string | null; status: string } }>;
}

const QUERY = `query($n: String!) { model(name: $n) {
  name status description tags license architecture parameterCount byteSize dtype
  files { path sha256 size }
  revision revisions { sha message source createdAt }
  onnx { files { path size url } }
  evaluations { task metric value dataset settings }
  parents { relation method parent { name files { path sha256 } evaluations { task metric value dataset settings } } }
  children { relation method child { name parameterCount status } }
} }`;

const TABS = ['Files', 'Evaluations', 'Model tree', 'Hardware', 'Jobs'] as const;
type Tab = (typeof TABS)[number];

export function ModelPage({ name }: { name: string }) {
  useTitle(name);
  const [model, setModel] = useState<ModelData | null | undefined>(undefined);
  const [card, setCard] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>('Files');

  const load = useCallback(() => {
    gql<{ model: ModelData | null }>(QUERY, { n: name }, true)
      .then((d) => setModel(d.model))
      .catch((e: Error) => setError(describeError(e)));
    gql<{ model: { card: { markdown: string } } | null }>(`query($n: String!) { model(name: $n) { card { markdown } } }`, { n: name }, true)
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
  const parent = model.parents[0];
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
          {model.tags.map((t) => (
            <a key={t} className="tag" href={`#/?q=${encodeURIComponent(t)}`}>
              {t}
            </a>
          ))}
        </p>
        {model.description && <p className="description">{model.description}</p>}
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

      <section aria-label="model card" className="card-section">
        {card ? <Markdown source={card} title={model.name} /> : <p>The card comes with the weights.</p>}
      </section>

      <div className="tabs" role="tablist" aria-label="model sections">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? 'tab active' : 'tab'}
            onClick={() => setTab(t)}
          >
            {t}
            {t === 'Jobs' && jobs.length ? ` (${jobs.length})` : ''}
            {t === 'Files' ? ` (${model.files.length})` : ''}
          </button>
        ))}
      </div>
      {tab === 'Files' && <Files model={model} />}
      {tab === 'Evaluations' && <Evaluations model={model} />}
      {tab === 'Model tree' && (
        <section aria-label="model tree" role="tabpanel">
          <p>
            {parent ? (
              <>
                Made from <a href={href('model', parent.parent.name)}>{parent.parent.name}</a> (
                {relationLabel(parent.relation, parent.method)}).{' '}
              </>
            ) : (
              'A root of the model tree. '
            )}
            <a href={href('tree', model.name)}>Open the family tree and its quality chart</a>
          </p>
          <h2>Children</h2>
          {model.children.length === 0 ? (
            <p>Nothing has been made from this model yet.</p>
          ) : (
            <ul className="children">
              {model.children.map((c) => (
                <li key={c.child.name}>
                  <a href={href('model', c.child.name)}>{c.child.name}</a> — {relationLabel(c.relation, c.method)},{' '}
                  {formatParams(c.child.parameterCount)} parameters, {c.child.status.toLowerCase()}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {tab === 'Hardware' && (
        <section aria-label="hardware" role="tabpanel">
          {model.parameterCount ? (
            <HardwareCalculator name={model.name} architecture={model.architecture} />
          ) : (
            <p>The hardware figures come with the weights.</p>
          )}
        </section>
      )}
      {tab === 'Jobs' && (
        <section aria-label="jobs" role="tabpanel">
          <JobList jobs={jobs} onChange={refresh} />
        </section>
      )}
    </article>
  );
}

/** The model's revisions, newest first; each one's files download by its sha. */
function History({ model }: { model: ModelData }) {
  return (
    <>
      <h3>History</h3>
      <div className="table-wrap">
        <table className="cards-on-phone" aria-label="revisions">
          <thead>
            <tr>
              <th>Revision</th>
              <th>Message</th>
              <th>Date</th>
            </tr>
          </thead>
          <tbody>
            {model.revisions.map((r) => (
              <tr key={r.sha}>
                <td data-label="Revision" className="hash">
                  <a href={`/api/models/${model.name}/tree/${r.sha}`}>
                    <code title={r.sha}>{r.sha.slice(0, 12)}</code>
                  </a>
                  {r.sha === model.revision ? ' (main)' : ''}
                </td>
                <td data-label="Message">{r.message}</td>
                <td data-label="Date">{new Date(r.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Files({ model }: { model: ModelData }) {
  return (
    <section aria-label="files" role="tabpanel">
      {model.revision && (
        <p className="revision">
          Revision <code title={model.revision}>{model.revision.slice(0, 12)}</code>{' '}
          <CopyButton text={model.revision} label="Copy the revision's sha" /> (main; pin it in a Hub client with <code>revision=</code>)
        </p>
      )}
      <div className="table-wrap">
        <table className="cards-on-phone">
          <thead>
            <tr>
              <th>File</th>
              <th>Size</th>
              <th>sha256</th>
            </tr>
          </thead>
          <tbody>
            {model.files.map((f) => (
              <tr key={f.path}>
                <td data-label="File">
                  <a href={`/${model.name}/resolve/main/${f.path}`} download>
                    {f.path}
                  </a>
                </td>
                <td data-label="Size">{formatBytes(f.size)}</td>
                <td data-label="sha256" className="hash">
                  <code title={f.sha256}>{f.sha256.slice(0, 12)}…</code>{' '}
                  <CopyButton text={f.sha256} label={`Copy the sha256 of ${f.path}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {model.onnx ? (
        <p>
          ONNX export (FP32, plain ONNX opset 20):{' '}
          {model.onnx.files.map((f) => (
            <a key={f.path} href={f.url} download className="file-link">
              {f.path} ({formatBytes(f.size)})
            </a>
          ))}
        </p>
      ) : (
        model.status === 'READY' && <p>No ONNX export yet: the exportOnnx mutation makes one.</p>
      )}
      {model.revisions.length > 0 && <History model={model} />}
    </section>
  );
}

function Evaluations({ model }: { model: ModelData }) {
  const parent = model.parents[0]?.parent;
  const sameTokenizer = parent ? tokenizerSha256(parent.files) === tokenizerSha256(model.files) : true;
  if (model.evaluations.length === 0)
    return (
      <section aria-label="evaluations" role="tabpanel">
        <p>No evaluations yet: run evaluateModel, or spawn with evaluations.</p>
      </section>
    );
  return (
    <section aria-label="evaluations" role="tabpanel">
      <div className="table-wrap">
        <table className="cards-on-phone">
          <thead>
            <tr>
              <th>Task</th>
              <th>Metric</th>
              <th>Dataset</th>
              <th>Value</th>
              {parent && <th>Against {parent.name}</th>}
            </tr>
          </thead>
          <tbody>
            {model.evaluations.map((e) => {
              const c = parent ? compareWithParent(e, parent.evaluations, sameTokenizer) : null;
              return (
                <tr key={`${e.task}-${e.metric}-${JSON.stringify(e.settings)}`}>
                  <td data-label="Task">{e.task}</td>
                  <td data-label="Metric">{e.metric}</td>
                  <td data-label="Dataset">{e.dataset ?? '—'}</td>
                  <td data-label="Value">{e.value.toFixed(4)}</td>
                  {c && (
                    <td data-label="Against parent" className={c.comparable ? (c.better ? 'better' : 'worse') : 'muted'}>
                      {c.comparable
                        ? `${c.parent.toFixed(4)} → ${e.value.toFixed(4)} (${c.percent >= 0 ? '+' : ''}${c.percent.toFixed(2)} %, ${c.better ? 'better or equal' : 'worse'})`
                        : `not comparable: ${c.reason}`}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function DeleteModel({ name }: { name: string }) {
  const [problem, setProblem] = useState<string | null>(null);
  if (!getToken()) return null;
  const remove = () => {
    if (!window.confirm(`Delete ${name} and its stored files? This cannot be undone.`)) return;
    gql(`mutation($m: String!) { deleteModel(model: $m) { deletedIds } }`, { m: name }, true)
      .then(() => navigate('#/'))
      .catch((e: Error) => setProblem(describeError(e)));
  };
  return (
    <>
      <button type="button" className="secondary small danger" onClick={remove}>
        Delete
      </button>
      {problem && <span className="error">{problem}</span>}
    </>
  );
}

// The API's bounds (src/cards/limits.ts), so the calculator never asks for what the API refuses.
const LIMITS = { context: HARDWARE_LIMITS.contextLength, batch: HARDWARE_LIMITS.batchSize } as const;

/** A whole number within bounds, or the sentence that says what is wrong with the text. */
export function checkWhole(text: string, label: string, [lo, hi]: readonly [number, number]): number | string {
  if (text.trim() === '')
    return `${label} is empty: enter a whole number from ${lo.toLocaleString('en-US')} to ${hi.toLocaleString('en-US')}.`;
  const v = Number(text);
  if (!Number.isFinite(v) || !Number.isInteger(v)) return `${label} must be a whole number (got ${text}).`;
  if (v < lo || v > hi) return `${label} must be from ${lo.toLocaleString('en-US')} to ${hi.toLocaleString('en-US')} (got ${text}).`;
  return v;
}

function HardwareCalculator({ name, architecture }: { name: string; architecture: string | null }) {
  const [contextText, setContextText] = useState('2048');
  const [batchText, setBatchText] = useState('1');
  const [weightDtype, setWeightDtype] = useState('BF16');
  const [kvDtype, setKvDtype] = useState('BF16');
  const [h, setH] = useState<Record<string, string | number> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const context = checkWhole(contextText, 'Context length', LIMITS.context);
  const batch = checkWhole(batchText, 'Batch size', LIMITS.batch);
  const problem = typeof context === 'string' ? context : typeof batch === 'string' ? batch : null;
  useEffect(() => {
    if (typeof context === 'string' || typeof batch === 'string') return;
    gql<{ model: { hardwareRequirements: Record<string, string | number> } }>(
      `query($n: String!, $c: Int!, $b: Int!, $w: WeightDtype!, $k: KvDtype!) { model(name: $n) { hardwareRequirements(contextLength: $c, batchSize: $b, weightDtype: $w, kvDtype: $k) { weightBytes kvCacheBytes overheadBytes totalBytes minGpuBytes recommendedCpuRamBytes slidingLayers formula } } }`,
      { n: name, c: context, b: batch, w: weightDtype, k: kvDtype },
    )
      .then((d) => {
        setH(d.model.hardwareRequirements);
        setError(null);
      })
      .catch((e: Error) => setError(describeError(e)));
  }, [name, context, batch, weightDtype, kvDtype]);
  return (
    <section aria-label="hardware calculator">
      <h2>Hardware calculator</h2>
      <div className="filters">
        <label>
          Context length
          <input
            inputMode="numeric"
            value={contextText}
            aria-invalid={typeof context === 'string'}
            onChange={(e) => setContextText(e.target.value)}
          />
        </label>
        <label>
          Batch
          <input
            inputMode="numeric"
            value={batchText}
            aria-invalid={typeof batch === 'string'}
            onChange={(e) => setBatchText(e.target.value)}
          />
        </label>
        <label>
          Weights
          <select value={weightDtype} onChange={(e) => setWeightDtype(e.target.value)}>
            {['FP32', 'BF16', 'FP16', 'INT8', 'INT4'].map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          KV cache
          <select value={kvDtype} onChange={(e) => setKvDtype(e.target.value)}>
            {['FP32', 'BF16', 'FP16', 'INT8'].map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {error && !problem && <p className="error">{error}</p>}
      {h && !problem && (
        <table aria-live="polite">
          <tbody>
            <tr>
              <th>Weights</th>
              <td>{formatBytes(h.weightBytes)}</td>
            </tr>
            <tr>
              <th>KV cache</th>
              <td>{formatBytes(h.kvCacheBytes)}</td>
            </tr>
            <tr>
              <th>Overhead (20 %)</th>
              <td>{formatBytes(h.overheadBytes)}</td>
            </tr>
            <tr>
              <th>Total</th>
              <td data-testid="hardware-total">{formatBytes(h.totalBytes)}</td>
            </tr>
            <tr>
              <th>Minimum GPU memory</th>
              <td>{formatBytes(h.minGpuBytes)}</td>
            </tr>
            <tr>
              <th>Recommended CPU RAM</th>
              <td>{formatBytes(h.recommendedCpuRamBytes)}</td>
            </tr>
          </tbody>
        </table>
      )}
      {h && !problem && Number(h.slidingLayers) > 0 && (
        <p>
          {String(h.slidingLayers)} layers of this {architecture ?? 'model'} attend within a sliding window, so their KV cache stops growing
          at the window's length.
        </p>
      )}
      {h && !problem && <pre className="formula">{String(h.formula)}</pre>}
    </section>
  );
}
