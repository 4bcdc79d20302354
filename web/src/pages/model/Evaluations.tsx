// The Evaluations tab: each result beside the parent's, compared only where the rule of
// src/eval/comparable.ts allows (same dataset and settings; per-token metrics the same tokenizer).
import { compareWithParent, tokenizerSha256 } from '../../../../src/eval/comparable';
import type { ModelData } from './data';

export function Evaluations({ model }: { model: ModelData }) {
  const parent = model.parents[0]?.parent;
  const sameTokenizer = parent ? tokenizerSha256(parent.files) === tokenizerSha256(model.files) : true;
  if (model.evaluations.length === 0)
    return (
      <section aria-label="evaluations">
        <p>No evaluations yet: run evaluateModel, or spawn with evaluations.</p>
      </section>
    );
  return (
    <section aria-label="evaluations">
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
