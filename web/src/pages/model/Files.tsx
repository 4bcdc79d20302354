// The Files tab: the current revision's files with their sizes and sha256, the ONNX export, the history.
import { formatBytes } from '../../api';
import { CopyButton } from '../../components/CopyButton';
import type { ModelData } from './data';

/** The model's revisions, newest first; each one's files download by its sha. */
function History({ model }: { model: ModelData }) {
  return (
    <>
      <h3>History</h3>
      <div className="table-wrap">
        <table className="cards-on-phone" aria-label="revisions">
          <thead>
            <tr>
              <th>Revision</th>
              <th>Message</th>
              <th>Date</th>
            </tr>
          </thead>
          <tbody>
            {model.revisions.map((r) => (
              <tr key={r.sha}>
                <td data-label="Revision" className="hash">
                  <a href={`/api/models/${model.name}/tree/${r.sha}`}>
                    <code title={r.sha}>{r.sha.slice(0, 12)}</code>
                  </a>
                  {r.sha === model.revision ? ' (main)' : ''}
                </td>
                <td data-label="Message">{r.message}</td>
                <td data-label="Date">{new Date(r.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function Files({ model }: { model: ModelData }) {
  return (
    <section aria-label="files">
      {model.revision && (
        <p className="revision">
          Revision <code title={model.revision}>{model.revision.slice(0, 12)}</code>{' '}
          <CopyButton text={model.revision} label="Copy the revision's sha" /> (main; pin it in a Hub client with <code>revision=</code>)
        </p>
      )}
      <div className="table-wrap">
        <table className="cards-on-phone">
          <thead>
            <tr>
              <th>File</th>
              <th>Size</th>
              <th>sha256</th>
            </tr>
          </thead>
          <tbody>
            {model.files.map((f) => (
              <tr key={f.path}>
                <td data-label="File">
                  <a href={`/${model.name}/resolve/main/${f.path}`} download>
                    {f.path}
                  </a>
                </td>
                <td data-label="Size">{formatBytes(f.size)}</td>
                <td data-label="sha256" className="hash">
                  <code title={f.sha256}>{f.sha256.slice(0, 12)}…</code>{' '}
                  <CopyButton text={f.sha256} label={`Copy the sha256 of ${f.path}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {model.onnx ? (
        <p>
          ONNX export (FP32, plain ONNX opset 20):{' '}
          {model.onnx.files.map((f) => (
            <a key={f.path} href={f.url} download className="file-link">
              {f.path} ({formatBytes(f.size)})
            </a>
          ))}
        </p>
      ) : (
        model.status === 'READY' && <p>No ONNX export yet: the exportOnnx mutation makes one.</p>
      )}
      {model.revisions.length > 0 && <History model={model} />}
    </section>
  );
}
