import { useEffect, useMemo, useState } from 'react';
import { boundsText, RECIPE_METHODS, type RecipeField, type RecipeMethod, recipeInput } from '../../../src/pruning/recipeFields';
import { describeError, formatParams, getToken, gql, setToken } from '../api';
import { JobList, useJobs } from '../components/JobList';
import { href, useTitle } from '../router';

interface Plan {
  changes: Array<{ field: string; from: unknown; to: unknown }>;
  parametersBefore: string;
  parametersAfter: string;
  changePercent: number;
  decidedWhenRun: boolean;
}

/** `pruningFraction` → "Pruning fraction". */
const labelOf = (name: string) => name.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`).replace(/^\w/, (c) => c.toUpperCase());

/** The recipe object from the form's strings, field by field as the schema types them. */
function recipeOf(method: RecipeMethod, values: Record<string, string>): Record<string, unknown> {
  const recipe: Record<string, unknown> = { method: method.method };
  const list = (v: string) =>
    v
      .split(/[\n,]/)
      .map((x) => x.trim())
      .filter((x) => x !== '');
  for (const f of method.fields) {
    const v = values[f.name]?.trim() ?? '';
    if (f.output || v === '') continue;
    if (f.kind === 'number' || f.kind === 'integer') recipe[f.name] = Number(v);
    else if (f.kind === 'choice') recipe[f.name] = f.choices?.every((c) => typeof c === 'number') ? Number(v) : v;
    else if (f.kind === 'integerList' || f.kind === 'numberList') recipe[f.name] = list(v).map(Number);
    else if (f.kind === 'stringList') recipe[f.name] = list(v);
    else recipe[f.name] = v;
  }
  return recipe;
}

/** One input per recipe field, generated from the recipe schema (src/pruning/recipe.ts). */
function FieldInput({ field, value, onChange }: { field: RecipeField; value: string; onChange: (v: string) => void }) {
  const help = [field.description, boundsText(field)].filter(Boolean).join(' — ');
  const id = `recipe-${field.name}`;
  const common = { id, value, title: help, onChange: (e: { target: { value: string } }) => onChange(e.target.value) };
  let input: React.ReactNode;
  if (field.kind === 'choice') {
    input = (
      <select {...common}>
        {field.default === undefined && <option value="">—</option>}
        {field.choices?.map((c) => (
          <option key={String(c)} value={String(c)}>
            {String(c)}
          </option>
        ))}
      </select>
    );
  } else if (field.kind === 'number' || field.kind === 'integer') {
    const min = field.minimum ?? field.exclusiveMinimum;
    const max = field.maximum ?? field.exclusiveMaximum;
    input = <input type="number" step={field.kind === 'integer' ? 1 : 'any'} min={min} max={max} {...common} />;
  } else {
    const placeholder =
      field.kind === 'integerList'
        ? 'e.g. 3,4'
        : field.path
          ? '/models/data/file.txt'
          : field.kind === 'stringList'
            ? 'comma-separated'
            : '';
    input = <input type="text" placeholder={placeholder} {...common} />;
  }
  return (
    <div className="field">
      <label htmlFor={id}>
        {labelOf(field.name)}
        {field.required ? ' *' : ''}
      </label>
      {input}
    </div>
  );
}

const defaultsOf = (m: RecipeMethod) =>
  Object.fromEntries(m.fields.filter((f) => f.default !== undefined).map((f) => [f.name, String(f.default)]));

export function SpawnPage({ name }: { name: string }) {
  useTitle(`Spawn from ${name}`);
  const [method, setMethod] = useState<RecipeMethod>(RECIPE_METHODS[0]!);
  const [fields, setFields] = useState<Record<string, string>>(defaultsOf(RECIPE_METHODS[0]!));
  const [plan, setPlan] = useState<Plan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [token, setTok] = useState(getToken() ?? '');
  const [evalData, setEvalData] = useState('');
  const [childName, setChildName] = useState('');
  const [submitted, setSubmitted] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const recipe = useMemo(() => recipeInput(recipeOf(method, fields)), [method, fields]);

  useEffect(() => {
    const t = setTimeout(() => {
      gql<{ pruningPlan: Plan }>(
        `query($p: String!, $r: PruningRecipeInput!) { pruningPlan(parent: $p, recipe: $r) { changes { field from to } parametersBefore parametersAfter changePercent decidedWhenRun } }`,
        { p: name, r: recipe },
      )
        .then((d) => {
          setPlan(d.pruningPlan);
          setPlanError(null);
        })
        .catch((e: Error) => {
          setPlan(null);
          setPlanError(describeError(e));
        });
    }, 250);
    return () => clearTimeout(t);
  }, [name, recipe]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setToken(token || null);
    setError(null);
    try {
      const d = await gql<{ spawnPrunedVariant: { model: { name: string } } }>(
        `mutation($p: String!, $r: PruningRecipeInput!, $n: String, $e: [EvaluationTaskInput!]) { spawnPrunedVariant(parent: $p, recipe: $r, name: $n, evaluate: $e) { model { name } } }`,
        { p: name, r: recipe, n: childName || null, e: evalData ? [{ task: 'perplexity', data: evalData }] : [] },
        true,
      );
      setSubmitted(d.spawnPrunedVariant.model.name);
    } catch (err) {
      setError(describeError(err as Error));
    }
  };

  return (
    <section aria-labelledby="spawn-title">
      <h1 id="spawn-title">Spawn a pruned variant of {name}</h1>
      <form onSubmit={submit} aria-label="recipe">
        <div className="filters">
          <label>
            Method
            <select
              value={method.method}
              title={method.description}
              onChange={(e) => {
                const m = RECIPE_METHODS.find((x) => x.method === e.target.value)!;
                setMethod(m);
                setFields(defaultsOf(m));
              }}
            >
              {RECIPE_METHODS.map((m) => (
                <option key={m.method} value={m.method}>
                  {m.method}
                </option>
              ))}
            </select>
          </label>
          <p className="hint">{method.description}</p>
          {method.fields
            .filter((f) => !f.output)
            .map((f) => (
              <FieldInput
                key={`${method.method}.${f.name}`}
                field={f}
                value={fields[f.name] ?? ''}
                onChange={(v) => setFields({ ...fields, [f.name]: v })}
              />
            ))}
          <label>
            Name (optional)
            <input value={childName} onChange={(e) => setChildName(e.target.value)} placeholder="owner/name" />
          </label>
          <label>
            Perplexity data (optional)
            <input value={evalData} onChange={(e) => setEvalData(e.target.value)} placeholder="/models/data/val.txt" />
          </label>
          <label>
            API token
            <input type="password" value={token} onChange={(e) => setTok(e.target.value)} autoComplete="off" placeholder="hf_bonsai_…" />
          </label>
        </div>
        <section aria-label="plan" className="card" aria-live="polite">
          <h2>Plan</h2>
          {planError && <p className="error">{planError}</p>}
          {plan && (
            <>
              <p data-testid="plan-summary">
                {formatParams(plan.parametersBefore)} → {formatParams(plan.parametersAfter)} parameters ({plan.changePercent.toFixed(2)} %)
              </p>
              {plan.decidedWhenRun && (
                <p>The data decides what goes when the job runs (calibration or corpus count); the figures are provisional.</p>
              )}
              <ul>
                {plan.changes.map((c) => (
                  <li key={c.field}>
                    <code>{c.field}</code>: {JSON.stringify(c.from)} → {JSON.stringify(c.to)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
        <button type="submit" disabled={!plan || !token || submitted !== null}>
          Spawn
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
      {submitted && <Progress name={submitted} />}
    </section>
  );
}

function Progress({ name }: { name: string }) {
  const [status, setStatus] = useState('QUEUED');
  const { jobs, refresh } = useJobs(name, setStatus);
  return (
    <section aria-label="progress" className="card">
      <h2>
        <a href={href('model', name)}>{name}</a>{' '}
        <span className={`status ${status}`} data-testid="spawn-status">
          {status}
        </span>
      </h2>
      <JobList jobs={jobs} onChange={refresh} />
    </section>
  );
}
