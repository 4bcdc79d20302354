import { useCallback, useEffect, useState } from 'react';
import { formatBytes, formatParams, gql } from '../api';
import { JobList, useJobs } from '../components/JobList';
import { Markdown } from '../components/Markdown';
import { href } from '../router';

interface ModelData {
  name: string;
  status: string;
  parameterCount: string | null;
  byteSize: string | null;
  dtype: string | null;
  files: Array<{ path: string; sha256: string; size: string }>;
  onnx: { files: Array<{ path: string; size: string; url: string }> } | null;
  evaluations: Array<{ task: string; metric: string; value: number; dataset: string | null; settings: Record<string, unknown> }>;
  parents: Array<{ relation: string; parent: { name: string } }>;
}

const QUERY = `query($n: String!) { model(name: $n) {
  name status parameterCount byteSize dtype
  files { path sha256 size }
  onnx { files { path size url } }
  evaluations { task metric value dataset settings }
  parents { relation parent { name } }
} }`;

export function ModelPage({ name }: { name: string }) {
  const [model, setModel] = useState<ModelData | null | undefined>(undefined);
  const [card, setCard] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    gql<{ model: ModelData | null }>(QUERY, { n: name }, true)
      .then((d) => setModel(d.model))
      .catch((e: Error) => setError(e.message));
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
  const jobs = useJobs(name, onStatus);

  if (error) return <p className="error">{error}</p>;
  if (model === undefined) return <p>Loading…</p>;
  if (model === null) return <p>No model named {name}.</p>;
  return (
    <article aria-labelledby="model-title">
      <h1 id="model-title">{model.name}</h1>
      <p>
        <span className={`status ${status ?? model.status}`}>{status ?? model.status}</span> · {formatParams(model.parameterCount)}{' '}
        parameters · {formatBytes(model.byteSize)} {model.dtype ?? ''}
        {model.parents.map((p) => (
          <span key={p.parent.name}>
            {' '}
            · {p.relation.toLowerCase().replace('_', '-')} from <a href={href('model', p.parent.name)}>{p.parent.name}</a>
          </span>
        ))}
      </p>
      <nav className="tabs" aria-label="model actions">
        <a href={href('tree', model.name)}>Model tree</a>
        <a href={href('spawn', model.name)}>Spawn a pruned variant</a>
        <a href={`/models/${model.name}/README.md`}>README.md</a>
      </nav>
      <section aria-label="jobs">
        <h2>Jobs</h2>
        <JobList jobs={jobs} />
      </section>
      <div className="grid2">
        <section aria-label="evaluations">
          <h2>Evaluations</h2>
          {model.evaluations.length === 0 ? (
            <p>No evaluations yet.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Task</th>
                    <th>Metric</th>
                    <th>Value</th>
                    <th>Dataset</th>
                  </tr>
                </thead>
                <tbody>
                  {model.evaluations.map((e) => (
                    <tr key={`${e.task}-${e.metric}-${JSON.stringify(e.settings)}`}>
                      <td>{e.task}</td>
                      <td>{e.metric}</td>
                      <td>{e.value.toFixed(4)}</td>
                      <td>{e.dataset ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        {model.parameterCount && <HardwareCalculator name={model.name} />}
      </div>
      <section aria-label="files">
        <h2>Files</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Path</th>
                <th>Size</th>
                <th>sha256</th>
              </tr>
            </thead>
            <tbody>
              {model.files.map((f) => (
                <tr key={f.path}>
                  <td>{f.path}</td>
                  <td>{formatBytes(f.size)}</td>
                  <td className="mono">{f.sha256}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {model.onnx ? (
          <p>
            ONNX export (FP32, opset 20):{' '}
            {model.onnx.files.map((f) => (
              <a key={f.path} href={f.url} download className="file-link">
                {f.path} ({formatBytes(f.size)})
              </a>
            ))}
          </p>
        ) : (
          model.status === 'READY' && <p>No ONNX export yet: the exportOnnx mutation makes one.</p>
        )}
      </section>
      <section aria-label="model card">
        <h2>Model card</h2>
        {card ? <Markdown source={card} /> : <p>The card comes with the weights.</p>}
      </section>
    </article>
  );
}

function HardwareCalculator({ name }: { name: string }) {
  const [context, setContext] = useState(2048);
  const [batch, setBatch] = useState(1);
  const [weightDtype, setWeightDtype] = useState('BF16');
  const [kvDtype, setKvDtype] = useState('BF16');
  const [h, setH] = useState<Record<string, string> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    gql<{ model: { hardwareRequirements: Record<string, string> } }>(
      `query($n: String!, $c: Int!, $b: Int!, $w: WeightDtype!, $k: KvDtype!) { model(name: $n) { hardwareRequirements(contextLength: $c, batchSize: $b, weightDtype: $w, kvDtype: $k) { weightBytes kvCacheBytes overheadBytes totalBytes minGpuBytes recommendedCpuRamBytes formula } } }`,
      { n: name, c: context, b: batch, w: weightDtype, k: kvDtype },
    )
      .then((d) => {
        setH(d.model.hardwareRequirements);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  }, [name, context, batch, weightDtype, kvDtype]);
  return (
    <section aria-label="hardware calculator">
      <h2>Hardware calculator</h2>
      <div className="filters">
        <label>
          Context length
          <input type="number" min={1} value={context} onChange={(e) => setContext(Math.max(1, Number(e.target.value) || 1))} />
        </label>
        <label>
          Batch
          <input type="number" min={1} value={batch} onChange={(e) => setBatch(Math.max(1, Number(e.target.value) || 1))} />
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
      {error && <p className="error">{error}</p>}
      {h && (
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
      {h && <p className="mono">{h.formula}</p>}
    </section>
  );
}
