// The Model tree tab: where the model comes from and what was made from it; the family's graph and
// quality chart are on the tree page.
import { formatParams, relationLabel } from '../../api';
import { href } from '../../router';
import type { ModelData } from './data';

export function Lineage({ model }: { model: ModelData }) {
  const parent = model.parents[0];
  return (
    <section aria-label="model tree">
      <p>
        {parent ? (
          <>
            Made from <a href={href('model', parent.parent.name)}>{parent.parent.name}</a> ({relationLabel(parent.relation, parent.method)}
            ).{' '}
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
  );
}
