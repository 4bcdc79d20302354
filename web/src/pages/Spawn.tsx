import { useEffect, useMemo, useState } from 'react';
import { type ApiError, formatParams, getToken, gql, setToken } from '../api';
import { JobList, useJobs } from '../components/JobList';
import { href } from '../router';

type Method = 'mlp-width' | 'depth' | 'sparsity' | 'vocab';

interface Plan {
  changes: Array<{ field: string; from: unknown; to: unknown }>;
  parametersBefore: string;
  parametersAfter: string;
  changePercent: number;
  decidedWhenRun: boolean;
}

function recipeOf(method: Method, f: Record<string, string>): Record<string, unknown> {
  const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  if (method === 'mlp-width') {
    return {
      method,
      criterion: f.criterion || 'maw',
      pruningFraction: num(f.fraction) === undefined ? undefined : num(f.fraction)! / 100,
      roundTo: num(f.roundTo),
      calibration: f.criterion === 'activation' ? f.calibration || undefined : undefined,
    };
  }
  if (method === 'depth') {
    if (f.depthMode === 'layers')
      return {
        method,
        layers: (f.layers ?? '')
          .split(',')
          .filter((x) => x.trim() !== '')
          .map((x) => Number(x.trim())),
      };
    if (f.depthMode === 'last') return { method, last: num(f.count) };
    return { method, criterion: f.depthMode, count: num(f.count), calibration: f.calibration || undefined };
  }
  if (method === 'vocab') {
    return {
      method,
      corpus: (f.corpus ?? '')
        .split(/[\n,]/)
        .map((x) => x.trim())
        .filter((x) => x !== ''),
      minFrequency: num(f.minFrequency),
      vocabSize: num(f.vocabSize),
      unit: f.unit || undefined,
    };
  }
  const pattern = f.pattern || 'unstructured';
  return {
    method,
    criterion: f.sparsityCriterion || 'magnitude',
    pattern,
    sparsity: pattern === 'unstructured' ? (num(f.sparsity) ?? 0) / 100 : undefined,
    calibration: f.sparsityCriterion === 'wanda' ? f.calibration || undefined : undefined,
  };
}

export function SpawnPage({ name }: { name: string }) {
  const [method, setMethod] = useState<Method>('mlp-width');
  const [fields, setFields] = useState<Record<string, string>>({
    fraction: '40',
    criterion: 'maw',
    depthMode: 'last',
    count: '1',
    sparsity: '50',
  });
  const [plan, setPlan] = useState<Plan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [token, setTok] = useState(getToken() ?? '');
  const [evalData, setEvalData] = useState('');
  const [childName, setChildName] = useState('');
  const [submitted, setSubmitted] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const recipe = useMemo(() => JSON.parse(JSON.stringify(recipeOf(method, fields))) as Record<string, unknown>, [method, fields]);
  const set = (k: string) => (e: { target: { value: string } }) => setFields({ ...fields, [k]: e.target.value });

  useEffect(() => {
    const t = setTimeout(() => {
      gql<{ pruningPlan: Plan }>(
        `query($p: String!, $r: JSON!) { pruningPlan(parent: $p, recipe: $r) { changes { field from to } parametersBefore parametersAfter changePercent decidedWhenRun } }`,
        { p: name, r: recipe },
      )
        .then((d) => {
          setPlan(d.pruningPlan);
          setPlanError(null);
        })
        .catch((e: Error) => {
          setPlan(null);
          setPlanError(e.message);
        });
    }, 250);
    return () => clearTimeout(t);
  }, [name, recipe]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setToken(token || null);
    setError(null);
    try {
      const d = await gql<{ spawnPrunedVariant: { model: { name: string } } }>(
        `mutation($p: String!, $r: JSON!, $n: String, $e: JSON) { spawnPrunedVariant(parent: $p, recipe: $r, name: $n, evaluate: $e) { model { name } } }`,
        { p: name, r: recipe, n: childName || null, e: evalData ? [{ task: 'perplexity', data: evalData }] : [] },
        true,
      );
      setSubmitted(d.spawnPrunedVariant.model.name);
    } catch (err) {
      const a = err as ApiError;
      setError(`${a.message}${a.code ? ` (${a.code})` : ''}`);
    }
  };

  return (
    <section aria-labelledby="spawn-title">
      <h1 id="spawn-title">Spawn a pruned variant of {name}</h1>
      <form onSubmit={submit} aria-label="recipe">
        <div className="filters">
          <label>
            Method
            <select value={method} onChange={(e) => setMethod(e.target.value as Method)}>
              <option value="mlp-width">MLP width pruning</option>
              <option value="depth">depth pruning</option>
              <option value="sparsity">sparsification</option>
              <option value="vocab">vocabulary trimming</option>
            </select>
          </label>
          {method === 'vocab' && (
            <>
              <label>
                Corpus files (comma-separated)
                <input value={fields.corpus ?? ''} onChange={set('corpus')} placeholder="/models/data/corpus.txt" />
              </label>
              <label>
                Minimum frequency
                <input type="number" min={1} value={fields.minFrequency ?? ''} onChange={set('minFrequency')} placeholder="1" />
              </label>
              <label>
                Most frequent tokens kept (optional)
                <input type="number" min={1} value={fields.vocabSize ?? ''} onChange={set('vocabSize')} />
              </label>
              <label>
                Count tokens by
                <select value={fields.unit ?? 'document'} onChange={set('unit')}>
                  <option value="document">whole file (as one document)</option>
                  <option value="line">line (each line alone)</option>
                </select>
              </label>
            </>
          )}
          {method === 'mlp-width' && (
            <>
              <label>
                Neurons removed (%)
                <input type="number" min={0} max={99} value={fields.fraction ?? ''} onChange={set('fraction')} />
              </label>
              <label>
                Criterion
                <select value={fields.criterion} onChange={set('criterion')}>
                  <option value="maw">MAW</option>
                  <option value="vow">VOW</option>
                  <option value="pon">PON</option>
                  <option value="l2">L2</option>
                  <option value="activation">activation-aware (calibration)</option>
                </select>
              </label>
              {fields.criterion === 'activation' && (
                <label>
                  Calibration file
                  <input value={fields.calibration ?? ''} onChange={set('calibration')} placeholder="/models/data/calib.txt" />
                </label>
              )}
              <label>
                Round kept count to
                <select value={fields.roundTo ?? ''} onChange={set('roundTo')}>
                  <option value="">no rounding</option>
                  {[32, 64, 128, 256].map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </label>
            </>
          )}
          {method === 'depth' && (
            <>
              <label>
                Blocks
                <select value={fields.depthMode} onChange={set('depthMode')}>
                  <option value="last">the last N</option>
                  <option value="layers">listed</option>
                  <option value="block-influence">by block influence</option>
                  <option value="perplexity">by perplexity sensitivity</option>
                </select>
              </label>
              {fields.depthMode === 'layers' ? (
                <label>
                  Layers (e.g. 3,4)
                  <input value={fields.layers ?? ''} onChange={set('layers')} />
                </label>
              ) : (
                <label>
                  How many
                  <input type="number" min={1} value={fields.count ?? ''} onChange={set('count')} />
                </label>
              )}
              {(fields.depthMode === 'block-influence' || fields.depthMode === 'perplexity') && (
                <label>
                  Calibration file
                  <input value={fields.calibration ?? ''} onChange={set('calibration')} placeholder="/models/data/calib.txt" />
                </label>
              )}
            </>
          )}
          {method === 'sparsity' && (
            <>
              <label>
                Criterion
                <select value={fields.sparsityCriterion ?? 'magnitude'} onChange={set('sparsityCriterion')}>
                  <option value="magnitude">magnitude</option>
                  <option value="wanda">Wanda</option>
                </select>
              </label>
              <label>
                Pattern
                <select value={fields.pattern ?? 'unstructured'} onChange={set('pattern')}>
                  <option value="unstructured">unstructured</option>
                  <option value="2:4">2:4</option>
                  <option value="4:8">4:8</option>
                </select>
              </label>
              {(fields.pattern ?? 'unstructured') === 'unstructured' && (
                <label>
                  Sparsity (%)
                  <input type="number" min={0} max={99} value={fields.sparsity ?? ''} onChange={set('sparsity')} />
                </label>
              )}
              {fields.sparsityCriterion === 'wanda' && (
                <label>
                  Calibration file
                  <input value={fields.calibration ?? ''} onChange={set('calibration')} />
                </label>
              )}
            </>
          )}
          <label>
            Name (optional)
            <input value={childName} onChange={(e) => setChildName(e.target.value)} placeholder="owner/name" />
          </label>
          <label>
            Perplexity data (optional)
            <input value={evalData} onChange={(e) => setEvalData(e.target.value)} placeholder="/models/data/val.txt" />
          </label>
          <label>
            API token
            <input type="password" value={token} onChange={(e) => setTok(e.target.value)} autoComplete="off" placeholder="bonsai_…" />
          </label>
        </div>
        <section aria-label="plan" className="card" aria-live="polite">
          <h2>Plan</h2>
          {planError && <p className="error">{planError}</p>}
          {plan && (
            <>
              <p data-testid="plan-summary">
                {formatParams(plan.parametersBefore)} → {formatParams(plan.parametersAfter)} parameters ({plan.changePercent.toFixed(2)} %)
              </p>
              {plan.decidedWhenRun && (
                <p>The data decides what goes when the job runs (calibration or corpus count); the figures are provisional.</p>
              )}
              <ul>
                {plan.changes.map((c) => (
                  <li key={c.field}>
                    <code>{c.field}</code>: {JSON.stringify(c.from)} → {JSON.stringify(c.to)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
        <button type="submit" disabled={!plan || !token || submitted !== null}>
          Spawn
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
      {submitted && <Progress name={submitted} />}
    </section>
  );
}

function Progress({ name }: { name: string }) {
  const [status, setStatus] = useState('QUEUED');
  const jobs = useJobs(name, setStatus);
  return (
    <section aria-label="progress" className="card">
      <h2>
        <a href={href('model', name)}>{name}</a>{' '}
        <span className={`status ${status}`} data-testid="spawn-status">
          {status}
        </span>
      </h2>
      <JobList jobs={jobs} />
    </section>
  );
}
