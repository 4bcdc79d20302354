// The not-found page, inside the app: an unknown route or an unknown model, with a way back.
import { useTitle } from '../router';

export function NotFound({ what }: { what: string }) {
  useTitle('Not found');
  return (
    <section className="not-found" aria-labelledby="nf-title">
      <h1 id="nf-title">Not found</h1>
      <p>{what}</p>
      <p>
        <a href="#/">Back to the model catalog</a>
      </p>
    </section>
  );
}
