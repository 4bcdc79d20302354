// The spawn form: a recipe built from the recipe schema (src/recipes) — only the fields that apply
// to the chosen method and criterion (spawn/applicable.ts), the form's strings turned into a recipe
// by the CLI's own recipeFromFlagValues, checked by the schema as it is typed (a field's problem is
// shown once that field has been touched), the plan from the API once the recipe is valid. Data
// files are picked from what the import roots hold (the dataFiles query, maintainers).
import { useEffect, useMemo, useState } from 'react';
import {
  RECIPE_METHODS,
  type RecipeMethod,
  RecipeValueError,
  recipeFromFlagValues,
  recipeInput,
  recipeProblems,
} from '../../../src/recipes';
import { describeError, formatParams, getToken, gql, setToken } from '../api';
import { graphql, type ResultOf, type VariablesOf } from '../graphql';
import { href, useTitle } from '../router';
import { applicableFields } from './spawn/applicable';
import { type DataFileOption, FieldInput, FieldRow } from './spawn/FieldInput';
import { Progress } from './spawn/Progress';

const DATA_FILES = graphql('query SpawnDataFiles { dataFiles { name size } }');
const PLAN = graphql(`query PruningPlan($p: String!, $r: PruningRecipeInput!) {
  pruningPlan(parent: $p, recipe: $r) { changes { field from to } parametersBefore parametersAfter changePercent decidedWhenRun } }`);
const SPAWN = graphql(`mutation Spawn($p: String!, $r: PruningRecipeInput!, $n: String, $e: [EvaluationTaskInput!]) {
  spawnPrunedVariant(parent: $p, recipe: $r, name: $n, evaluate: $e) { model { name } } }`);
type Plan = ResultOf<typeof PLAN>['pruningPlan'];

/**
 * The recipe as the API's PruningRecipeInput. The GraphQL input types are derived from the same
 * schema (src/recipes) the recipe was just checked against, so the shapes agree by construction.
 */
const asInput = (recipe: Record<string, unknown>) => recipeInput(recipe) as VariablesOf<typeof PLAN>['r'];

const defaultsOf = (m: RecipeMethod) =>
  Object.fromEntries(m.fields.filter((f) => f.default !== undefined && !f.output).map((f) => [f.name, String(f.default)]));

/**
 * The schema's words with its camelCase field names as the CLI's flags (`pruningFraction` →
 * `--pruning-fraction`); one-word names (`last`, `count`) are ordinary words in its prose and stay.
 */
function inWords(message: string, method: RecipeMethod): string {
  return method.fields
    .filter((f) => /[A-Z]/.test(f.name))
    .reduce((text, f) => text.replace(new RegExp(`\\b${f.name}\\b`, 'g'), f.flag), message);
}

/** The recipe from the form, or what is wrong with it, by field ('' for the recipe as a whole). */
function readForm(method: RecipeMethod, values: Record<string, string>, shown: Set<string>) {
  const given: Record<string, string | string[]> = {};
  for (const f of method.fields) {
    const v = (values[f.name] ?? '').trim();
    if (!shown.has(f.name) || v === '') continue;
    given[f.name] =
      f.kind === 'stringList'
        ? v
            .split(/[\n,]/)
            .map((x) => x.trim())
            .filter(Boolean)
        : v;
  }
  try {
    const recipe = recipeFromFlagValues(method.method, given);
    const problems = new Map<string, string>();
    for (const p of recipeProblems(recipe).problems) {
      const field = String(p.path[0] ?? '');
      if (!problems.has(field)) problems.set(field, inWords(p.message, method));
    }
    return { recipe, problems };
  } catch (e) {
    if (!(e instanceof RecipeValueError)) throw e;
    return { recipe: null, problems: new Map([[e.field, `${JSON.stringify(e.value)} ${e.problem}`]]) };
  }
}

export function SpawnPage({ name }: { name: string }) {
  useTitle(`Spawn from ${name}`);
  const [method, setMethod] = useState<RecipeMethod>(RECIPE_METHODS[0]!);
  const [values, setValues] = useState<Record<string, string>>(defaultsOf(RECIPE_METHODS[0]!));
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [tried, setTried] = useState(false);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [token, setTok] = useState(getToken() ?? '');
  const [dataFiles, setDataFiles] = useState<DataFileOption[] | null>(null);
  const [dataFilesNote, setDataFilesNote] = useState<string | null>(null);
  const [evalData, setEvalData] = useState('');
  const [childName, setChildName] = useState('');
  const [pending, setPending] = useState(false);
  const [spawned, setSpawned] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  const shown = useMemo(() => applicableFields(method, values), [method, values]);
  const { recipe, problems } = useMemo(() => readForm(method, values, shown), [method, values, shown]);
  const valid = recipe !== null && problems.size === 0;
  const visible = (field: string) => (tried || touched.has(field) ? (problems.get(field) ?? null) : null);

  // The import roots' files, listed for a maintainer's token (re-read when the token changes).
  useEffect(() => {
    if (!token) {
      setDataFiles(null);
      setDataFilesNote('Enter a maintainer token to pick data files from the import roots.');
      return;
    }
    const t = setTimeout(() => {
      gql(DATA_FILES, {}, token)
        .then((d) => {
          setDataFiles(d.dataFiles);
          setDataFilesNote(d.dataFiles.length ? null : 'The import roots hold no .txt or .jsonl files.');
        })
        .catch((e: Error) => {
          setDataFiles(null);
          setDataFilesNote(describeError(e));
        });
    }, 300);
    return () => clearTimeout(t);
  }, [token]);

  useEffect(() => {
    if (!valid) {
      setPlan(null);
      setPlanError(null);
      return;
    }
    const t = setTimeout(() => {
      gql(PLAN, { p: name, r: asInput(recipe) })
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
  }, [name, recipe, valid]);

  const change = (field: string, v: string) => {
    setValues({ ...values, [field]: v });
    setTouched(new Set(touched).add(field));
  };

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTried(true);
    setError(null);
    if (!valid) return;
    setPending(true);
    try {
      const d = await gql(
        SPAWN,
        { p: name, r: asInput(recipe), n: childName || null, e: evalData ? [{ task: 'perplexity', data: evalData }] : [] },
        token || false,
      );
      // Kept for the session only once the server has taken it (the jobs' Cancel and Retry use it).
      setToken(token || null);
      setSpawned([d.spawnPrunedVariant.model.name, ...spawned]);
    } catch (err) {
      setError(describeError(err as Error));
    } finally {
      setPending(false);
    }
  };

  const whole = problems.get('');
  return (
    <section aria-labelledby="spawn-title">
      <h1 id="spawn-title">
        Spawn a pruned variant of <a href={href('model', name)}>{name}</a>
      </h1>
      <form onSubmit={submit} aria-label="recipe" className="recipe-form" noValidate>
        <FieldRow id="spawn-token" label="API token" help={dataFilesNote ?? undefined}>
          <input
            id="spawn-token"
            type="password"
            value={token}
            onChange={(e) => setTok(e.target.value.trim())}
            autoComplete="off"
            placeholder="hf_bonsai_…"
          />
        </FieldRow>
        <FieldRow id="spawn-method" label="Method" flag="--method" help={inWords(method.description, method)}>
          <select
            id="spawn-method"
            value={method.method}
            onChange={(e) => {
              const m = RECIPE_METHODS.find((x) => x.method === e.target.value)!;
              setMethod(m);
              setValues(defaultsOf(m));
              setTouched(new Set());
              setTried(false);
            }}
          >
            {RECIPE_METHODS.map((m) => (
              <option key={m.method} value={m.method}>
                {m.method}
              </option>
            ))}
          </select>
        </FieldRow>
        {method.fields
          .filter((f) => shown.has(f.name))
          .map((f) => (
            <FieldInput
              key={`${method.method}.${f.name}`}
              field={f}
              value={values[f.name] ?? ''}
              problem={visible(f.name)}
              dataFiles={dataFiles}
              inWords={(text) => inWords(text, method)}
              onChange={(v) => change(f.name, v)}
            />
          ))}
        <FieldRow id="spawn-name" label="Name (optional)" help="owner/name; by default derived from the parent and the recipe.">
          <input id="spawn-name" value={childName} onChange={(e) => setChildName(e.target.value)} placeholder="owner/name" />
        </FieldRow>
        <FieldRow
          id="spawn-eval"
          label="Perplexity data (optional)"
          help="Measured on the child once it is pruned, and on the parent if it has no such result."
        >
          {dataFiles ? (
            <select id="spawn-eval" value={evalData} onChange={(e) => setEvalData(e.target.value)}>
              <option value="">— none —</option>
              {dataFiles.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.name}
                </option>
              ))}
            </select>
          ) : (
            <input
              id="spawn-eval"
              value={evalData}
              onChange={(e) => setEvalData(e.target.value)}
              placeholder="a file under an import root, e.g. kjv/val.txt"
            />
          )}
        </FieldRow>
        <section aria-label="plan" className="card" aria-live="polite">
          <h2>Plan</h2>
          {whole && (tried || touched.size > 0) && <p className="error">{whole}</p>}
          {!valid && !whole && <p className="muted">Fill in the recipe to see what it changes.</p>}
          {planError && <p className="error">{planError}</p>}
          {plan && valid && (
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
        <button type="submit" disabled={pending}>
          {pending ? 'Spawning…' : 'Spawn'}
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
      {spawned.map((n) => (
        <Progress key={n} name={n} />
      ))}
    </section>
  );
}
