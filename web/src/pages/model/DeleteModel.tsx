// Delete a model (maintainers, with the token given in the spawn form), after the browser's confirmation.
import { useState } from 'react';
import { describeError, getToken, gql } from '../../api';
import { navigate } from '../../router';

export function DeleteModel({ name }: { name: string }) {
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
