// `bonsai demo` (`npm run demo`): the whole product on real weights. It uses the server already
// running on this registry (`npm start`), or serves like `npm start` itself; registers the shared
// tiny-llama-kjv model, spawns the seed recipes through the GraphQL API (as any client would),
// waits for every model to be READY with its perplexity, prints the table and leaves the catalog
// running.

import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultLogLevel } from '../config.js';
import { recipeInput } from '../recipes/fields.js';
import { createToken } from '../registry/tokens.js';
import { findSharedDir } from '../sharedAssets.js';
import { DEMO_BASE, DEMO_OWNER, type DemoSeed, demoSeeds } from './demoRecipes.js';
import { formatBytes, formatInt, table } from './format.js';
import { withRegistry } from './registry.js';
import { startServing } from './serve.js';
import { registryConfig } from './servers.js';

export interface DemoFlags {
  exit?: boolean;
  quick?: boolean;
  shared?: string;
}

interface ModelView {
  name: string;
  status: string;
  parameterCount: string;
  hardwareRequirements: { weightBytes: string };
  evaluations: Array<{ task: string; metric: string; value: number }>;
  jobs: Array<{ kind: string; status: string; stage: string | null; progress: number; error: string | null }>;
}

const MODEL_FIELDS = `name status parameterCount
  hardwareRequirements(weightDtype: BF16, contextLength: 256) { weightBytes }
  evaluations { task metric value }
  jobs(first: 5) { kind status stage progress error }`;

/** Copies the model and corpora into the first import root (registering reads only from there). */
function stageAssets(shared: string, root: string): { model: string; train: string; val: string } {
  const dir = join(root, 'demo');
  const model = join(dir, DEMO_BASE);
  const train = join(dir, 'kjv-train.txt');
  const val = join(dir, 'kjv-val.txt');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(model, 'model.safetensors'))) cpSync(join(shared, 'models', DEMO_BASE), model, { recursive: true });
  for (const [from, to] of [
    [join(shared, 'data', 'kjv-train.txt'), train],
    [join(shared, 'data', 'kjv-val.txt'), val],
  ] as const) {
    if (!existsSync(to)) cpSync(from, to);
  }
  return { model, train, val };
}

function client(url: string, token: string) {
  return async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    if (body.errors?.length) {
      const e = body.errors[0]!;
      throw new Error(`GraphQL ${e.extensions?.code ?? 'ERROR'}: ${e.message}`);
    }
    return body.data as T;
  };
}

type Gql = ReturnType<typeof client>;

const full = (name: string) => `${DEMO_OWNER}/${name}`;

async function fetchModel(gql: Gql, name: string): Promise<ModelView | null> {
  const d = await gql<{ model: ModelView | null }>(`query($n: String!) { model(name: $n) { ${MODEL_FIELDS} } }`, { n: name });
  return d.model;
}

/** What a poll reads of each model: its status and jobs, not the figures the table prints at the end. */
interface PollView {
  status: string;
  jobs: ModelView['jobs'];
}

/**
 * The status and jobs of every model in one request (aliases, within the API's limit of 20 a
 * request): the server's loaders read each table once per poll instead of once per model, which
 * polled one request per model every 1.5 s for the whole run (issue 28).
 */
async function pollModels(gql: Gql, names: string[]): Promise<Array<PollView | null>> {
  const views: Array<PollView | null> = [];
  for (let from = 0; from < names.length; from += POLL_ALIASES) {
    const part = names.slice(from, from + POLL_ALIASES);
    const vars = part.map((_, i) => `$n${i}: String!`).join(', ');
    const fields = part
      .map((_, i) => `m${i}: model(name: $n${i}) { status jobs(first: 5) { kind status stage progress error } }`)
      .join(' ');
    const d = await gql<Record<string, PollView | null>>(
      `query(${vars}) { ${fields} }`,
      Object.fromEntries(part.map((n, i) => [`n${i}`, n])),
    );
    for (let i = 0; i < part.length; i++) views.push(d[`m${i}`] ?? null);
  }
  return views;
}

/** Aliases per poll request: the API refuses more than 20 (graphql/limits.ts). */
const POLL_ALIASES = 20;

/** Polls until every model is READY, printing each job's stage and progress as it changes. */
async function waitReady(gql: Gql, names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const last = new Map<string, string>();
  for (;;) {
    let ready = 0;
    const views = await pollModels(gql, names);
    for (const [k, name] of names.entries()) {
      const m = views[k];
      if (!m) throw new Error(`model ${name} disappeared`);
      const job = m.jobs.find((j) => j.status === 'RUNNING') ?? m.jobs.find((j) => j.status === 'QUEUED');
      const failed = m.jobs.find((j) => j.status === 'FAILED' || j.status === 'CANCELLED');
      if (m.status === 'FAILED' || (failed && m.status !== 'READY'))
        throw new Error(`${name} failed: ${failed?.error ?? 'see its jobs in the catalog'}`);
      if (m.status === 'READY') ready++;
      const line = job
        ? `${m.status.padEnd(10)} ${job.kind.toLowerCase()} ${job.stage ?? ''} ${Math.round(job.progress * 100)} %`
        : m.status;
      if (last.get(name) !== line) {
        last.set(name, line);
        console.log(`  ${name.padEnd(48)} ${line}`);
      }
    }
    if (ready === names.length) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for the models to be READY`);
    await new Promise((r) => setTimeout(r, 1500));
  }
}

function perplexity(m: ModelView): number | null {
  return m.evaluations.find((e) => e.task === 'perplexity' && e.metric === 'perplexity')?.value ?? null;
}

export async function demo(flags: DemoFlags): Promise<void> {
  const shared = findSharedDir(flags.shared);
  if (!shared) throw new Error(`the shared model was not found: pass --shared DIR (a folder with models/${DEMO_BASE} and data/)`);
  // The demo's own progress lines are its interface; the server's and jobs' info logs would bury them.
  defaultLogLevel('warn');
  const server = await demoServer();
  const assets = stageAssets(shared, server.modelRoots[0]!);
  const gql = client(server.url, server.token);

  const samples = flags.quick ? 256 : 4096;
  const evaluate = [{ task: 'perplexity', data: assets.val, ...(flags.quick ? { limit: 2048 } : {}) }];
  const base = full(DEMO_BASE);
  console.log(`\nBonsai demo: the seed recipes on ${base}${flags.quick ? ' (quick: 2,048 evaluation tokens)' : ''}\n`);

  if (!(await fetchModel(gql, base))) {
    await gql(
      `mutation($p: String!, $n: String!) { registerModel(path: $p, name: $n, license: "apache-2.0", tags: ["demo", "kjv"],
        description: "A small Llama trained on the King James Bible: the shared model of the Bonsai demo.") { model { name } } }`,
      { p: assets.model, n: base },
    );
    console.log(`registered ${base}`);
  }
  const baseModel = (await fetchModel(gql, base))!;
  if (perplexity(baseModel) === null && !baseModel.jobs.some((j) => j.kind === 'EVALUATE' && j.status !== 'FAILED'))
    await gql(`mutation($m: String!, $t: [EvaluationTaskInput!]!) { evaluateModel(model: $m, tasks: $t) { id } }`, {
      m: base,
      t: evaluate,
    });

  const seeds = demoSeeds(assets.train, samples);
  const spawn = async (seed: DemoSeed) => {
    const name = full(seed.name);
    if (await fetchModel(gql, name)) return;
    await gql(
      `mutation($p: String!, $r: PruningRecipeInput!, $n: String!, $e: [EvaluationTaskInput!]) { spawnPrunedVariant(parent: $p, recipe: $r, name: $n, evaluate: $e) { model { name } } }`,
      { p: seed.parent === 'base' ? base : full(seed.parent), r: recipeInput(seed.recipe), n: name, e: evaluate },
    );
    console.log(`spawned ${name}: ${seed.label}`);
  };
  // Children of the base first; a grandchild once its parent's weights exist.
  const firstGeneration = seeds.filter((s) => s.parent === 'base');
  for (const s of firstGeneration) await spawn(s);
  const timeout = flags.quick ? 10 * 60_000 : 60 * 60_000;
  for (const s of seeds.filter((s) => s.parent !== 'base')) {
    await waitReady(gql, [full(s.parent)], timeout);
    await spawn(s);
  }
  await waitReady(gql, [base, ...seeds.map((s) => full(s.name))], timeout);

  const baseView = (await fetchModel(gql, base))!;
  const baseParams = Number(baseView.parameterCount);
  const rows = [['model', 'recipe', 'parameters', 'reduction', 'weights (bf16)', 'perplexity (kjv-val)']];
  for (const [name, label] of [[base, 'base'], ...seeds.map((s) => [full(s.name), s.label] as const)] as const) {
    const m = (await fetchModel(gql, name))!;
    const params = Number(m.parameterCount);
    const ppl = perplexity(m);
    rows.push([
      name,
      label,
      formatInt(params),
      name === base ? '' : `${(((params - baseParams) / baseParams) * 100).toFixed(2)} %`,
      formatBytes(Number(m.hardwareRequirements.weightBytes)),
      ppl === null ? 'n/a' : ppl.toFixed(2),
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  console.log(`Catalog:    ${server.url}/`);
  console.log(`Model tree: ${server.url}/#/tree/${base}`);
  console.log(`Card:       ${server.url}/models/${base}/README.md`);
  if (!server.own) {
    console.log('\nThe catalog is your running server’s: it keeps the models.');
    return;
  }
  if (flags.exit) {
    // The ordered shutdown of `serve` (HTTP, worker, queue, database).
    process.kill(process.pid, 'SIGTERM');
    return;
  }
  console.log('\nThe catalog keeps running: Ctrl-C to stop.');
}

interface DemoServer {
  url: string;
  modelRoots: string[];
  /** A short-lived admin token: the demo goes through the API's front door like any client. */
  token: string;
  /** Started by the demo (stopped with it), or the user's own `npm start`. */
  own: boolean;
}

const demoToken = { name: 'demo', role: 'ADMIN', expiresAt: new Date(Date.now() + 86_400_000) } as const;

/**
 * The server the demo talks to: the one already serving this registry (`npm start` in another
 * terminal, announced in src/cli/servers.ts), whose worker runs the jobs, or else one of its own,
 * started as `npm start` would. Two servers on one registry would fight over its port and embedded
 * database (issue 32: the quick start's demo failed while `npm start` ran).
 */
async function demoServer(): Promise<DemoServer> {
  let found: ReturnType<typeof registryConfig> | undefined;
  try {
    found = registryConfig();
  } catch {
    // No registry here yet and no server: the demo makes both.
  }
  if (found?.server) {
    const { url, pid } = found.server;
    console.log(`Using the Bonsai server already running at ${url} (pid ${pid}); its worker runs the jobs.`);
    const { secret } = await withRegistry('demo', (deps) => createToken(deps, demoToken));
    return { url, modelRoots: found.config.modelRoots, token: secret, own: false };
  }
  const { runtime, http, runner } = await startServing('demo', { worker: true });
  if (!runner) throw new Error('the demo needs a worker: BONSAI_WORKER_CONCURRENCY must be at least 1');
  const { secret } = await createToken(runtime.registry, demoToken);
  return { url: http.url, modelRoots: runtime.config.modelRoots, token: secret, own: true };
}
