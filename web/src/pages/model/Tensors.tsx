// The Tensors tab: the safetensors headers (name, shape, dtype, bytes, as the Hub's file viewer
// shows them) and, for a derivative, what each tensor is against the parent: kept byte for byte,
// sliced (old → new shape), renamed (a depth prune renumbers blocks), rewritten (same shape, other
// bytes: sparsity, a refit) or added. The server compares the stored pieces' sha256
// (src/registry/tensors.ts); the counts double as filters, so a long header reads on a phone. A
// sparsified tensor stays dense, so its real sparsity is its non-zero share: counted by the prune
// that wrote it (src/registry/nonZero.ts), shown beside "rewritten".
import { useEffect, useState } from 'react';
import { describeError, formatBytes, gql } from '../../api';
import { type EnumOf, graphql, type ResultOf } from '../../graphql';

const TENSORS_QUERY = graphql(
  'query ModelTensors($n: String!) { model(name: $n) { tensors { name dtype shape bytes change parentName parentShape parentDtype nonZero } } }',
);

type Row = NonNullable<ResultOf<typeof TENSORS_QUERY>['model']>['tensors'][number];
type Change = EnumOf<'TensorChange'>;

const LABELS: Record<Change, string> = {
  KEPT: 'kept byte for byte',
  SLICED: 'sliced',
  RENAMED: 'renamed, same bytes',
  REWRITTEN: 'rewritten',
  ADDED: 'added',
};
const ORDER: Change[] = ['SLICED', 'RENAMED', 'REWRITTEN', 'ADDED', 'KEPT'];

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/** The share of a tensor's elements that are not zero, one decimal: "50.0 % non-zero". */
function nonZeroText(nonZero: string | number, shape: readonly number[]): string {
  const elements = shape.reduce((a, d) => a * d, 1);
  return `${elements ? ((100 * Number(nonZero)) / elements).toFixed(1) : '0.0'} % non-zero`;
}

function ChangeCell({ t }: { t: Row }) {
  if (!t.change) return <span className="muted">—</span>;
  // One element in the cell: on a phone the cell is a label-and-value grid of two columns.
  return (
    <span>
      <span className={`change change-${t.change.toLowerCase()}`}>{LABELS[t.change]}</span>
      {t.change === 'SLICED' && t.parentShape && (
        <span className="change-detail">
          {' '}
          {shapeText(t.parentShape)} → {shapeText(t.shape)}
        </span>
      )}
      {t.parentName && t.parentName !== t.name && <span className="change-detail"> from {t.parentName}</span>}
      {t.change === 'REWRITTEN' && t.parentDtype && t.parentDtype !== t.dtype && (
        <span className="change-detail">
          {' '}
          {t.parentDtype} → {t.dtype}
        </span>
      )}
      {t.change === 'REWRITTEN' && t.nonZero !== null && (
        <span
          className="change-detail"
          title={`${Number(t.nonZero).toLocaleString('en-US')} of ${t.shape.reduce((a, d) => a * d, 1).toLocaleString('en-US')} elements are not zero; the tensor is stored dense`}
        >
          {' · '}
          {nonZeroText(t.nonZero, t.shape)}
        </span>
      )}
    </span>
  );
}

export function Tensors({ name, hasParent }: { name: string; hasParent: boolean }) {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState<Change | 'ALL'>('ALL');
  useEffect(() => {
    setRows(null);
    gql(TENSORS_QUERY, { n: name }, true)
      .then((d) => setRows(d.model?.tensors ?? []))
      .catch((e: Error) => setError(describeError(e)));
  }, [name]);

  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (rows === null) return <p>Loading…</p>;
  if (rows.length === 0) return <p>No safetensors weights yet: the tensors come with the weights.</p>;
  const counts = new Map<Change, number>();
  for (const t of rows) if (t.change) counts.set(t.change, (counts.get(t.change) ?? 0) + 1);
  const shown = filter === 'ALL' ? rows : rows.filter((t) => t.change === filter);
  const total = rows.reduce((a, t) => a + Number(t.bytes), 0);
  return (
    <section aria-label="tensors">
      <p>
        {rows.length} tensors, {formatBytes(total)}
        {hasParent
          ? ', each compared with the parent’s by the stored bytes’ sha256 (no tensor is read).'
          : '; a derivative shows here what changed against its parent.'}
      </p>
      {hasParent && (
        <fieldset className="tensor-filter" aria-label="show tensors">
          <button type="button" aria-pressed={filter === 'ALL'} onClick={() => setFilter('ALL')}>
            All ({rows.length})
          </button>
          {ORDER.filter((c) => counts.has(c)).map((c) => (
            <button key={c} type="button" aria-pressed={filter === c} onClick={() => setFilter(c)}>
              {LABELS[c]} ({counts.get(c)})
            </button>
          ))}
        </fieldset>
      )}
      <div className="table-wrap">
        <table className="cards-on-phone tensors" aria-label="tensors">
          <thead>
            <tr>
              <th>Tensor</th>
              <th>Shape</th>
              <th>Dtype</th>
              <th>Size</th>
              {hasParent && <th>Against the parent</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => (
              <tr key={t.name}>
                <td data-label="Tensor">
                  <code>{t.name}</code>
                </td>
                <td data-label="Shape">{shapeText(t.shape)}</td>
                <td data-label="Dtype">{t.dtype}</td>
                <td data-label="Size">{formatBytes(t.bytes)}</td>
                {hasParent && (
                  <td data-label="Change">
                    <ChangeCell t={t} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
