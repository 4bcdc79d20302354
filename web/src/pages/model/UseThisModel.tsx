// "Use this model", as the Hub's button: copyable snippets for the clients that speak the Hub
// protocol to this server (huggingface_hub's `hf download`, transformers' from_pretrained with
// HF_ENDPOINT, transformers.js with env.remoteHost), `bonsai pull`, and the card's reproduce
// command; an Evaluate button for maintainers (evaluateModel with a file the import roots hold).
import { useEffect, useState } from 'react';
import { describeError, getToken, gql } from '../../api';
import { CopyButton } from '../../components/CopyButton';
import { graphql } from '../../graphql';
import type { ModelData } from './data';

const DATA_FILES = graphql('query DataFileNames { dataFiles { name } }');
const EVALUATE = graphql('mutation EvaluateModel($m: String!, $t: [EvaluationTaskInput!]!) { evaluateModel(model: $m, tasks: $t) { id } }');

/** The card's `bonsai prune …` command (its "How to reproduce" code block), if it has one. */
export function reproduceCommand(card: string | null): string | null {
  const m = card ? /```[a-z]*\n(bonsai prune [^\n]+)\n```/.exec(card) : null;
  return m ? m[1]! : null;
}

function Snippet({ title, code, note }: { title: string; code: string; note?: string }) {
  return (
    <div className="snippet">
      <h3>{title}</h3>
      {note && <p className="muted">{note}</p>}
      <div className="code-block">
        <CopyButton text={code} label={`Copy the ${title} snippet`} />
        <pre>
          <code>{code}</code>
        </pre>
      </div>
    </div>
  );
}

export function UseThisModel({ model, card, onQueued }: { model: ModelData; card: string | null; onQueued: () => void }) {
  const origin = window.location.origin;
  const name = model.name;
  const folder = name.split('/')[1]!;
  const reproduce = reproduceCommand(card);
  return (
    <section aria-label="use this model" className="use-model">
      <Snippet
        title="hf download"
        code={`HF_ENDPOINT=${origin} hf download ${name} --local-dir ${folder}`}
        note="huggingface_hub's CLI, pointed at this server."
      />
      <Snippet
        title="transformers"
        code={`import os\nos.environ["HF_ENDPOINT"] = "${origin}"  # before transformers is imported\n\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n\ntokenizer = AutoTokenizer.from_pretrained("${name}")\nmodel = AutoModelForCausalLM.from_pretrained("${name}")`}
      />
      {model.onnx ? (
        <Snippet
          title="transformers.js"
          code={`import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';\n\nenv.remoteHost = '${origin}/';\nenv.allowLocalModels = false;\nconst tokenizer = await AutoTokenizer.from_pretrained('${name}');\nconst model = await AutoModelForCausalLM.from_pretrained('${name}', { use_external_data_format: true });`}
          note="Reads the ONNX export (onnx/model.onnx and its external data)."
        />
      ) : (
        <p className="muted">transformers.js needs an ONNX export of this model first: the exportOnnx mutation makes one.</p>
      )}
      <Snippet
        title="bonsai pull"
        code={`BONSAI_URL=${origin} bonsai pull ${name} ${folder}`}
        note="Every file over the Hub protocol, resumable; BONSAI_TOKEN for a server that needs a token to read."
      />
      {reproduce && <Snippet title="Reproduce" code={reproduce} note="From the card: makes byte-identical weights from the parent." />}
      <Evaluate name={name} onQueued={onQueued} />
    </section>
  );
}

/** Maintainers: measure perplexity on a file the import roots hold; the job shows in the Jobs tab. */
function Evaluate({ name, onQueued }: { name: string; onQueued: () => void }) {
  const token = getToken();
  const [files, setFiles] = useState<Array<{ name: string }> | null>(null);
  const [data, setData] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!token) return;
    gql(DATA_FILES, {}, true)
      .then((d) => setFiles(d.dataFiles))
      .catch((e: Error) => setMessage(describeError(e)));
  }, [token]);
  if (!token) return <p className="muted">Maintainers can evaluate this model here once their token is entered (in the spawn form).</p>;
  const run = () => {
    setBusy(true);
    gql(EVALUATE, { m: name, t: [{ task: 'perplexity', data }] }, true)
      .then(() => {
        setMessage('Queued: follow it in the Jobs tab.');
        onQueued();
      })
      .catch((e: Error) => setMessage(describeError(e)))
      .finally(() => setBusy(false));
  };
  return (
    <div className="snippet evaluate">
      <h3>Evaluate</h3>
      <label>
        Perplexity on{' '}
        <select value={data} onChange={(e) => setData(e.target.value)}>
          <option value="">— choose a file —</option>
          {files?.map((f) => (
            <option key={f.name} value={f.name}>
              {f.name}
            </option>
          ))}
        </select>
      </label>{' '}
      <button type="button" disabled={!data || busy} onClick={run}>
        Evaluate
      </button>
      {message && <p role="status">{message}</p>}
    </div>
  );
}
