// Delete a model (maintainers, with the token given in the spawn form), after the browser's confirmation.
import { useState } from 'react';
import { describeError, getToken, gql } from '../../api';
import { graphql } from '../../graphql';
import { navigate } from '../../router';

const DELETE = graphql('mutation DeleteModel($m: String!) { deleteModel(model: $m) { deletedIds } }');

export function DeleteModel({ name }: { name: string }) {
  const [problem, setProblem] = useState<string | null>(null);
  if (!getToken()) return null;
  const remove = () => {
    if (!window.confirm(`Delete ${name} and its stored files? This cannot be undone.`)) return;
    gql(DELETE, { m: name }, true)
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
