import { useEffect, useState } from 'react';
import { formatParams, gql } from '../api';
import { href } from '../router';

interface Row {
  name: string;
  status: string;
  architecture: string | null;
  parameterCount: string | null;
  license: string | null;
  tags: string[];
  parents: Array<{ relation: string; method: string | null; parent: { name: string } }>;
}

const QUERY = `query($filter: ModelFilter, $orderBy: ModelOrder, $after: String) {
  models(filter: $filter, orderBy: $orderBy, first: 20, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { name status architecture parameterCount license tags parents { relation method parent { name } } }
  }
}`;

const RELATIONS = [
  'WIDTH_PRUNED',
  'DEPTH_PRUNED',
  'VOCAB_TRIMMED',
  'SPARSIFIED',
  'FINETUNED',
  'QUANTIZED',
  'MERGED',
  'ADAPTER',
  'DISTILLED',
];
const STATUSES = ['QUEUED', 'PROCESSING', 'EVALUATING', 'READY', 'FAILED'];

export function Catalog() {
  const [search, setSearch] = useState('');
  const [architecture, setArchitecture] = useState('');
  const [method, setMethod] = useState('');
  const [relation, setRelation] = useState('');
  const [license, setLicense] = useState('');
  const [status, setStatus] = useState('');
  const [minM, setMinM] = useState('');
  const [maxM, setMaxM] = useState('');
  const [order, setOrder] = useState('CREATED_AT:DESC');
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [data, setData] = useState<{ rows: Row[]; total: number; next: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const filter = {
    search: search || undefined,
    architecture: architecture ? [architecture] : undefined,
    method: method ? [method] : undefined,
    relation: relation ? [relation] : undefined,
    license: license ? [license] : undefined,
    status: status ? [status] : undefined,
    minParameters: minM ? String(Math.round(Number(minM) * 1e6)) : undefined,
    maxParameters: maxM ? String(Math.round(Number(maxM) * 1e6)) : undefined,
  };
  const key = JSON.stringify(filter) + order;
  // A new filter or order starts again from the first page.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key stands for the filter and the order.
  useEffect(() => setCursors([null]), [key]);
  const after = cursors.at(-1) ?? null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key stands for the filter and the order.
  useEffect(() => {
    const [field, direction] = order.split(':');
    let live = true;
    gql<{ models: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Row[] } }>(QUERY, {
      filter,
      orderBy: { field, direction },
      after,
    })
      .then((d) => {
        if (live) {
          setData({
            rows: d.models.nodes,
            total: d.models.totalCount,
            next: d.models.pageInfo.hasNextPage ? d.models.pageInfo.endCursor : null,
          });
          setError(null);
        }
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [key, after]);

  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">Model catalog</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="filters">
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="name, description, tag" />
        </label>
        <label>
          Architecture
          <input value={architecture} onChange={(e) => setArchitecture(e.target.value)} placeholder="LlamaForCausalLM" />
        </label>
        <label>
          Method
          <select value={method} onChange={(e) => setMethod(e.target.value)}>
            <option value="">any</option>
            <option value="mlp-width">MLP width</option>
            <option value="depth">depth</option>
            <option value="sparsity">sparsity</option>
            <option value="vocab">vocabulary</option>
          </select>
        </label>
        <label>
          Relation
          <select value={relation} onChange={(e) => setRelation(e.target.value)}>
            <option value="">any</option>
            {RELATIONS.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          License
          <input value={license} onChange={(e) => setLicense(e.target.value)} placeholder="apache-2.0" />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Min parameters (M)
          <input type="number" min="0" value={minM} onChange={(e) => setMinM(e.target.value)} />
        </label>
        <label>
          Max parameters (M)
          <input type="number" min="0" value={maxM} onChange={(e) => setMaxM(e.target.value)} />
        </label>
        <label>
          Sort
          <select value={order} onChange={(e) => setOrder(e.target.value)}>
            <option value="CREATED_AT:DESC">newest</option>
            <option value="NAME:ASC">name</option>
            <option value="PARAMETER_COUNT:DESC">largest</option>
            <option value="PARAMETER_COUNT:ASC">smallest</option>
          </select>
        </label>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {data && (
        <>
          <p aria-live="polite">{data.total} models</p>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Model</th>
                  <th>Status</th>
                  <th>Parameters</th>
                  <th>Made from</th>
                  <th>Architecture</th>
                  <th>License</th>
                </tr>
              </thead>
              <tbody>
                {data.rows.map((m) => (
                  <tr key={m.name}>
                    <td>
                      <a href={href('model', m.name)}>{m.name}</a>
                    </td>
                    <td>
                      <span className={`status ${m.status}`}>{m.status}</span>
                    </td>
                    <td>{formatParams(m.parameterCount)}</td>
                    <td>
                      {m.parents.map((p) => `${p.parent.name} (${p.method ?? p.relation.toLowerCase().replace('_', '-')})`).join(', ') ||
                        '—'}
                    </td>
                    <td>{m.architecture ?? '—'}</td>
                    <td>{m.license ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="pages">
            <button type="button" className="secondary" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous
            </button>
            <span>page {cursors.length}</span>
            <button
              type="button"
              className="secondary"
              disabled={!data.next}
              onClick={() => data.next && setCursors([...cursors, data.next])}
            >
              Next
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
