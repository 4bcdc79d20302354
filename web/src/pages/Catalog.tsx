// The catalog list. Its state — filters, sort, quality metric, page — lives in the URL
// (#/?q=…&sort=…&after=…), so reload, back and forward keep it and a view can be shared.
import { useEffect, useState } from 'react';
import { RECIPE_METHODS } from '../../../src/recipes';
import { ApiError, formatParams, gql, relationLabel } from '../api';
import { type EnumOf, enumMembers, graphql, MeasuredFields, type ResultOf } from '../graphql';
import { compareResults, notComparable } from '../quality';
import { catalogHref, href, navigate, useTitle } from '../router';

/** The list; with the quality column, what the comparison with the parent needs (quality.ts). */
const MODELS = graphql(
  `query CatalogModels($filter: ModelFilter, $orderBy: ModelOrder, $after: String, $first: Int, $quality: Boolean!) {
  models(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      name status architecture parameterCount license tags
      ...Measured @include(if: $quality)
      parents { relation method parent { name ...Measured @include(if: $quality) } }
    }
  }
}`,
  [MeasuredFields],
);
type Row = ResultOf<typeof MODELS>['models']['nodes'][number];

/** Relations in the menu's order, in words (enumMembers: tsc fails when the SDL gains one this does not name). */
const RELATIONS = {
  WIDTH_PRUNED: 'width-pruned',
  DEPTH_PRUNED: 'depth-pruned',
  ATTENTION_PRUNED: 'attention-pruned',
  HIDDEN_PRUNED: 'hidden-pruned',
  VOCAB_TRIMMED: 'vocab-trimmed',
  SPARSIFIED: 'sparsified',
  FINETUNED: 'finetuned',
  QUANTIZED: 'quantized',
  MERGED: 'merged',
  ADAPTER: 'adapter',
  DISTILLED: 'distilled',
} satisfies Record<EnumOf<'Relation'>, string>;
const STATUSES = enumMembers<EnumOf<'ModelStatus'>>({ QUEUED: '', PROCESSING: '', EVALUATING: '', READY: '', FAILED: '' });
/** sessionStorage: whether the filters are unfolded ('1') or folded ('0'); unset, they follow the screen's width. */
const FILTERS_OPEN = 'bonsai-filters-open';

const METRICS: Array<[string, string]> = [
  ['', 'none'],
  ['perplexity', 'perplexity (lower is better)'],
  ['acc', 'accuracy'],
  ['cosine_mean', 'embedding cosine to parent'],
];
const SORTS: Array<[string, string]> = [
  ['CREATED_AT:DESC', 'newest'],
  ['NAME:ASC', 'name A–Z'],
  ['NAME:DESC', 'name Z–A'],
  ['PARAMETER_COUNT:DESC', 'largest'],
  ['PARAMETER_COUNT:ASC', 'smallest'],
];

/** Plain-language problems with the size range, before anything is asked of the API. */
export function rangeProblem(min: string, max: string): string | null {
  const lo = min.trim() === '' ? null : Number(min);
  const hi = max.trim() === '' ? null : Number(max);
  if (lo !== null && !(Number.isFinite(lo) && lo >= 0)) return 'The smallest size must be a number of millions, 0 or more.';
  if (hi !== null && !(Number.isFinite(hi) && hi >= 0)) return 'The largest size must be a number of millions, 0 or more.';
  if (lo !== null && hi !== null && lo > hi) return `The smallest size (${lo} M) is larger than the largest (${hi} M).`;
  return null;
}

export function Catalog({ params }: { params: URLSearchParams }) {
  useTitle('Model catalog');
  const get = (k: string) => params.get(k) ?? '';
  const search = get('q');
  const architecture = get('arch');
  const method = get('method');
  const relation = get('relation');
  const license = get('license');
  const status = get('status');
  const minM = get('min');
  const maxM = get('max');
  const order = get('sort') || 'CREATED_AT:DESC';
  const metric = get('metric');
  const cursors = get('after') ? get('after').split(',') : [];
  const perPage = [5, 10, 20, 50, 100].includes(Number(get('per'))) ? Number(get('per')) : 20;
  const [data, setData] = useState<{ rows: Row[]; total: number; next: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);

  /** A changed filter starts again at page 1; text boxes change the current history entry. */
  const set = (changes: Record<string, string>, options: { replace?: boolean; keepPage?: boolean } = {}) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!options.keepPage) next.delete('after');
    navigate(catalogHref(next), { replace: options.replace });
  };

  const problem = rangeProblem(minM, maxM);
  const filter = {
    search: search || undefined,
    architecture: architecture ? [architecture] : undefined,
    method: method ? [method] : undefined,
    relation: relation ? [relation as EnumOf<'Relation'>] : undefined,
    license: license ? [license] : undefined,
    status: status ? [status as EnumOf<'ModelStatus'>] : undefined,
    minParameters: minM ? String(Math.round(Number(minM) * 1e6)) : undefined,
    maxParameters: maxM ? String(Math.round(Number(maxM) * 1e6)) : undefined,
  };
  const key = JSON.stringify([filter, order, cursors, Boolean(metric), perPage]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key stands for the filter, order, page and columns.
  useEffect(() => {
    if (problem) return;
    const [field, direction] = order.split(':');
    let live = true;
    gql(MODELS, {
      filter,
      orderBy: { field: field as EnumOf<'ModelOrderField'>, direction: direction as EnumOf<'SortDirection'> },
      after: cursors.at(-1) ?? null,
      first: perPage,
      quality: Boolean(metric),
    })
      .then((d) => {
        if (!live) return;
        setData({
          rows: d.models.nodes,
          total: d.models.totalCount,
          next: d.models.pageInfo.hasNextPage ? d.models.pageInfo.endCursor : null,
        });
        setError(null);
      })
      .catch(
        (e: Error) =>
          live &&
          setError(e instanceof ApiError && e.code === 'BAD_USER_INPUT' ? `The filters could not be applied: ${e.message}` : e.message),
      );
    return () => {
      live = false;
    };
  }, [key, problem]);

  const sortHeader = (label: string, field: string, first: 'ASC' | 'DESC') => {
    const [f, d] = order.split(':');
    const active = f === field;
    const nextDir = active ? (d === 'ASC' ? 'DESC' : 'ASC') : first;
    return (
      <th aria-sort={active ? (d === 'ASC' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" className="sort" onClick={() => set({ sort: `${field}:${nextDir}` })}>
          {label}
          <span aria-hidden="true">{active ? (d === 'ASC' ? ' ▲' : ' ▼') : ' ↕'}</span>
        </button>
      </th>
    );
  };
  /** The value, marked where it cannot be compared with the parent's (a trimmed vocabulary's perplexity). */
  const quality = (m: Row) => {
    if (!('evaluations' in m)) return '—';
    const e = m.evaluations.find((x) => x.metric === metric);
    if (!e) return '—';
    const text = `${e.value.toPrecision(5)}${e.dataset ? ` (${e.dataset})` : ''}`;
    const parent = m.parents[0]?.parent;
    const c = parent && 'evaluations' in parent ? compareResults(e, m, parent) : null;
    if (!c || c.comparable) return text;
    return (
      <>
        {text} <span className="muted not-comparable">— {notComparable(c)}</span>
      </>
    );
  };
  const anyFilter = [search, architecture, method, relation, license, status, minM, maxM].some(Boolean);
  const activeFilters = [architecture, method, relation, license, status, minM, maxM].filter(Boolean).length;
  // Filters fold away on a phone, so the first screen shows models; the choice is kept for the session.
  const [filtersOpen, setFiltersOpen] = useState(
    () =>
      sessionStorage.getItem(FILTERS_OPEN) === '1' ||
      (sessionStorage.getItem(FILTERS_OPEN) === null && !window.matchMedia('(max-width: 600px)').matches),
  );
  // One architecture for every row is said once above the table, not on each row.
  const architectures = new Set(data?.rows.map((r) => r.architecture ?? '—'));
  const oneArchitecture = architectures.size === 1 ? [...architectures][0] : null;

  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">Model catalog</h1>
      <form className="catalog-filters" onSubmit={(e) => e.preventDefault()} aria-label="filters">
        <label className="search">
          Search
          <input
            type="search"
            value={search}
            onChange={(e) => set({ q: e.target.value }, { replace: true })}
            placeholder="name, tag, method, relation"
          />
        </label>
        <details
          className="more-filters"
          open={filtersOpen}
          onToggle={(e) => {
            // Only a person's click is remembered: the toggle the first render fires changes nothing.
            const open = (e.currentTarget as HTMLDetailsElement).open;
            if (open === filtersOpen) return;
            sessionStorage.setItem(FILTERS_OPEN, open ? '1' : '0');
            setFiltersOpen(open);
          }}
        >
          <summary>Filters, sort and columns{activeFilters > 0 ? ` (${activeFilters} active)` : ''}</summary>
          <div className="filters">
            <label>
              Architecture
              <input value={architecture} onChange={(e) => set({ arch: e.target.value }, { replace: true })} placeholder="llama" />
            </label>
            <label>
              Method
              <select value={method} onChange={(e) => set({ method: e.target.value })}>
                <option value="">any</option>
                {/* Every method of the recipe schemas (src/recipes): a new method is listed without an edit here. */}
                {RECIPE_METHODS.map((m) => (
                  <option key={m.method} value={m.method}>
                    {m.method}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Relation
              <select value={relation} onChange={(e) => set({ relation: e.target.value })}>
                <option value="">any</option>
                {Object.entries(RELATIONS).map(([r, words]) => (
                  <option key={r} value={r}>
                    {words}
                  </option>
                ))}
              </select>
            </label>
            <label>
              License
              <input value={license} onChange={(e) => set({ license: e.target.value }, { replace: true })} placeholder="apache" />
            </label>
            <label>
              Status
              <select value={status} onChange={(e) => set({ status: e.target.value })}>
                <option value="">any</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s.toLowerCase()}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Min parameters (M)
              <input
                inputMode="decimal"
                value={minM}
                aria-invalid={Boolean(problem)}
                onChange={(e) => set({ min: e.target.value }, { replace: true })}
              />
            </label>
            <label>
              Max parameters (M)
              <input
                inputMode="decimal"
                value={maxM}
                aria-invalid={Boolean(problem)}
                onChange={(e) => set({ max: e.target.value }, { replace: true })}
              />
            </label>
            <label>
              Sort
              <select value={order} onChange={(e) => set({ sort: e.target.value })}>
                {SORTS.map(([v, l]) => (
                  <option key={v} value={v}>
                    {l}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Per page
              <select value={String(perPage)} onChange={(e) => set({ per: e.target.value === '20' ? '' : e.target.value })}>
                {[5, 10, 20, 50, 100].map((n) => (
                  <option key={n} value={String(n)}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Quality column
              <select value={metric} onChange={(e) => set({ metric: e.target.value }, { keepPage: true })}>
                {METRICS.map(([v, l]) => (
                  <option key={v} value={v}>
                    {l}
                  </option>
                ))}
              </select>
            </label>
          </div>
        </details>
      </form>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {error && !problem && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {data && !problem && data.total === 0 && (
        <div className="empty" role="status">
          <h2>No models match</h2>
          <p>
            {anyFilter
              ? 'Nothing in the registry matches these filters.'
              : 'The registry is empty: register a checkpoint with registerModel or `bonsai register`.'}
          </p>
          {anyFilter && (
            <p>
              <a href="#/">Clear all filters</a>
            </p>
          )}
        </div>
      )}
      {data && !problem && data.total > 0 && (
        <>
          <p aria-live="polite">
            <span>
              {data.total} model{data.total === 1 ? '' : 's'}
            </span>
            {oneArchitecture && <span className="muted"> · architecture {oneArchitecture}</span>}
          </p>
          <div className="table-wrap">
            <table className="cards-on-phone">
              <thead>
                <tr>
                  {sortHeader('Model', 'NAME', 'ASC')}
                  <th>Status</th>
                  {sortHeader('Parameters', 'PARAMETER_COUNT', 'DESC')}
                  <th>Made from</th>
                  {!oneArchitecture && <th>Architecture</th>}
                  <th>License</th>
                  {metric && <th>{METRICS.find(([v]) => v === metric)?.[1]}</th>}
                </tr>
              </thead>
              <tbody>
                {data.rows.map((m) => (
                  <tr key={m.name}>
                    <td data-label="Model">
                      <a href={href('model', m.name)}>{m.name}</a>
                    </td>
                    <td data-label="Status">
                      <span className={`status ${m.status}`}>{m.status.toLowerCase()}</span>
                    </td>
                    <td data-label="Parameters">{formatParams(m.parameterCount)}</td>
                    <td data-label="Made from">
                      {m.parents.length
                        ? m.parents.map((p, i) => (
                            <span key={p.parent.name}>
                              {i > 0 && ', '}
                              <a href={href('model', p.parent.name)}>{p.parent.name}</a> ({relationLabel(p.relation, p.method)})
                            </span>
                          ))
                        : '—'}
                    </td>
                    {!oneArchitecture && <td data-label="Architecture">{m.architecture ?? '—'}</td>}
                    <td data-label="License">{m.license ?? '—'}</td>
                    {metric && <td data-label="Quality">{quality(m)}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="pages">
            <button
              type="button"
              className="secondary"
              disabled={cursors.length === 0}
              onClick={() => set({ after: cursors.slice(0, -1).join(',') }, { keepPage: true })}
            >
              Previous
            </button>
            <span>
              page {cursors.length + 1} of {Math.max(1, Math.ceil(data.total / perPage))}
            </span>
            <button
              type="button"
              className="secondary"
              disabled={!data.next}
              onClick={() => data.next && set({ after: [...cursors, data.next].join(',') }, { keepPage: true })}
            >
              Next
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
