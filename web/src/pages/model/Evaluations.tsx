// The Evaluations tab: each result beside the parent's, compared only where the catalog's one rule
// (web/src/quality.ts) allows.
import { compareResults, comparisonText } from '../../quality';
import type { ModelData } from './data';

export function Evaluations({ model }: { model: ModelData }) {
  const parent = model.parents[0]?.parent;
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
              const c = parent ? compareResults(e, model, parent) : null;
              return (
                <tr key={`${e.task}-${e.metric}-${JSON.stringify(e.settings)}`}>
                  <td data-label="Task">{e.task}</td>
                  <td data-label="Metric">{e.metric}</td>
                  <td data-label="Dataset">{e.dataset ?? '—'}</td>
                  <td data-label="Value">{e.value.toFixed(4)}</td>
                  {c && (
                    <td data-label="Against parent" className={c.comparable ? (c.better ? 'better' : 'worse') : 'muted'}>
                      {comparisonText(c, e.value)}
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
