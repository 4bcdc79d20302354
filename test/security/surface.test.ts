// The whole GraphQL surface under extreme input (issue 26, "Keep it fixed"): every argument of
// every query and mutation, walked from the schema itself (graphql/schema.ts), gets generated
// values at the edges (0, −1, 2³¹−1, 2⁵³, ±Infinity and NaN as JSON, 10⁶-element lists,
// 10⁶-character strings, 10⁴-deep nesting, wrong kinds, unknown fields and enum values), sent
// anonymously and with each role's token to a real `bonsai serve` in a child process. Property:
// every answer is HTTP 200 or 4xx JSON within 1 s with no stack trace and no server path the request
// did not name itself; throughout, /healthz answers within 200 ms (99 % of answers; every one
// within 1 s) and the server's RSS grows by less than 200 MB. The seed is fixed (BONSAI_FC_SEED overrides it) and a failure prints it with the
// case, so `BONSAI_FC_SEED=<seed> npx vitest run test/security/surface.test.ts` replays it.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../../graphql/schema.js';
import { freePort } from '../../src/db/freePort.js';
import { createToken } from '../../src/registry/tokens.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { type BonsaiProcess, repoRoot, runBonsai } from '../helpers/bonsai.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { tempDir } from '../helpers/tmp.js';

const SEED = Number(process.env.BONSAI_FC_SEED ?? 20261204);
const RUNS = Number(process.env.BONSAI_SURFACE_RUNS ?? 1000);
const MODEL = 'bible/tiny-llama-kjv';

const home = tempDir('bonsai-surface-home-');
const root = tempDir('bonsai-surface-root-');
const modelRoot = dirname(sharedModel);
let db: TestDatabase;
let server: BonsaiProcess;
let url: string;
const tokens: Record<string, string | null> = { anonymous: null };
/** Ids that make resolvers go past "not found": the model's and a queued job's. */
const known = { modelId: '', jobId: '' };

// ---- Values: small JSON specs, rendered to request text only when sent (so a failing case prints
// as `{"$":"repeat","n":1000000,"of":0}`, not as megabytes).
type Spec = null | boolean | number | string | Spec[] | { [k: string]: Spec };
const deep = (n: number): Spec => ({ $: 'deep', n });
const repeat = (n: number, of: Spec): Spec => ({ $: 'repeat', n, of });
const bigString = (n: number): Spec => ({ $: 'string', n });
const raw = (text: string): Spec => ({ $: 'raw', text });

function render(spec: Spec): string {
  if (Array.isArray(spec)) return `[${spec.map(render).join(',')}]`;
  if (spec !== null && typeof spec === 'object') {
    if (spec.$ === 'deep') return `${'['.repeat(spec.n as number)}${']'.repeat(spec.n as number)}`;
    if (spec.$ === 'repeat') return `[${new Array(spec.n as number).fill(render(spec.of as Spec)).join(',')}]`;
    if (spec.$ === 'string') return `"${'x'.repeat(spec.n as number)}"`;
    if (spec.$ === 'raw') return spec.text as string;
    return `{${Object.entries(spec)
      .map(([k, v]) => `${JSON.stringify(k)}:${render(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(spec);
}

/** The rendered length of a spec, without rendering it. */
function size(spec: Spec): number {
  if (Array.isArray(spec)) return 2 + spec.reduce<number>((n, v) => n + size(v) + 1, 0);
  if (spec !== null && typeof spec === 'object') {
    if (spec.$ === 'deep') return 2 * (spec.n as number);
    if (spec.$ === 'repeat') return (spec.n as number) * (size(spec.of as Spec) + 1);
    if (spec.$ === 'string') return (spec.n as number) + 2;
    if (spec.$ === 'raw') return (spec.text as string).length;
    return Object.entries(spec).reduce((n, [k, v]) => n + k.length + 4 + size(v), 2);
  }
  return JSON.stringify(spec).length;
}

/** Values at the edges of any type: the wrong kind, the extremes of JSON itself. */
const anyExtreme: fc.Arbitrary<Spec> = fc.constantFrom<Spec>(
  null,
  {},
  [],
  '',
  0,
  -1,
  2 ** 31 - 1,
  2 ** 53,
  raw('1e309'),
  raw('-1e309'),
  raw('NaN'),
  'NaN',
  'Infinity',
  true,
  deep(10_000),
  repeat(1_000_000, 0),
  bigString(1_000_000),
  { zzz: 1 },
);

const ints = fc.constantFrom<Spec>(0, -1, 1, 2, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, -(2 ** 53), 1.5, 1e308, 100_000_000);
const floats = fc.constantFrom<Spec>(0, -1, 0.5, 0.999999, 1, 1e-300, 2 ** 53, 1.7976931348623157e308, -0.0001, 5e-324);
/** Strings: half of them name what exists (the model, its id, a job), so resolvers run past "not found". */
const strings = () =>
  fc.oneof(
    fc.constantFrom<Spec>(MODEL, 'Bible/Tiny-Llama-KJV', known.modelId, known.jobId),
    fc.constantFrom<Spec>(
      '',
      'x',
      sharedModel,
      '../../../../../../etc/passwd',
      '/etc/hostname',
      '/proc/self/environ',
      'hf://org/name',
      'hf://org--x/name@main',
      'a/b/c',
      'モデル🌳',
      '%00',
      ' ',
      'x'.repeat(10_001),
      bigString(1_000_000),
    ),
  );
const bigInts = fc.constantFrom<Spec>('0', '-1', '9223372036854775807', '9223372036854775808', 2 ** 53, 1e30, 'abc', bigString(100_000));
const dates = fc.constantFrom<Spec>('2027-01-01T00:00:00Z', '0001-01-01', '9999-12-31T23:59:59Z', 'tomorrow', '+275760-09-13T00:00:00Z', 0);
const jsons = fc.constantFrom<Spec>(
  {},
  { a: { b: [1, 'x', null] } },
  'x',
  1,
  deep(10_000),
  repeat(1_000_000, 0),
  repeat(100_000, { a: 1 }),
  bigString(1_000_000),
);

/** Values for an input type, walked from the schema; `level` bounds recursion through input objects. */
function inputValue(type: GraphQLInputType, level = 0): fc.Arbitrary<Spec> {
  if (isNonNullType(type)) return inputValue(type.ofType, level);
  const typed = typedValue(type, level);
  return fc.oneof({ weight: 6, arbitrary: typed }, { weight: 1, arbitrary: anyExtreme });
}

function typedValue(type: GraphQLInputType, level: number): fc.Arbitrary<Spec> {
  if (isListType(type)) {
    const item = inputValue(type.ofType, level + 1);
    return fc.oneof(
      fc.array(item, { maxLength: 3 }),
      item, // a single value stands for a list of one (GraphQL's input coercion)
      // Long lists of small items: a body just under the 1 MB limit, and one far over it.
      item.filter((of) => size(of) <= 16).chain((of) => fc.constantFrom(10_000, 200_000, 1_000_000).map((n) => repeat(n, of))),
    );
  }
  if (isInputObjectType(type)) {
    if (level > 4) return fc.constant({});
    const fields = Object.values(type.getFields());
    // A oneOf input (a pruning recipe) takes exactly one member: mostly one, so resolvers run.
    if ((type as { isOneOf?: boolean }).isOneOf)
      return fc.oneof(
        { weight: 8, arbitrary: fc.oneof(...fields.map((f) => inputValue(f.type, level + 1).map((v) => ({ [f.name]: v })))) },
        { weight: 1, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: fc.constant(Object.fromEntries(fields.slice(0, 2).map((f) => [f.name, {}]))) },
      );
    return fc
      .tuple(
        fc.tuple(...fields.map((f) => fc.option(inputValue(f.type, level + 1), { freq: 2, nil: undefined }))),
        fc.option(fc.constantFrom('zzz', `${fields[0]?.name ?? 'x'}x`), { freq: 5, nil: undefined }),
      )
      .map(([values, unknown]) => {
        const o: Record<string, Spec> = {};
        fields.forEach((f, i) => {
          if (values[i] !== undefined) o[f.name] = values[i]!;
        });
        if (unknown) o[unknown] = 1;
        return o;
      });
  }
  if (isEnumType(type)) {
    const values = type.getValues().map((v) => v.name);
    return fc.oneof(fc.constantFrom(...values), fc.constantFrom('NOPE', values[0]!.toLowerCase(), ''));
  }
  switch (getNamedType(type).name) {
    case 'Int':
      return ints;
    case 'Float':
      return floats;
    case 'Boolean':
      return fc.constantFrom<Spec>(true, false, 'true', 0);
    case 'BigInt':
      return bigInts;
    case 'DateTime':
      return dates;
    case 'JSON':
      return jsons;
    default:
      return strings();
  }
}

// ---- Operations: one top-level field with its arguments as variables.
interface Operation {
  kind: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
}

const OMIT = '\u0000omit';

function operationArb(op: Operation): fc.Arbitrary<{ kind: string; field: string; args: Record<string, Spec> }> {
  const args = op.field.args;
  const argValue = (a: GraphQLArgument) =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant<Spec>(OMIT) },
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 8, arbitrary: inputValue(a.type) },
    );
  return fc.tuple(...args.map(argValue)).map((values) => {
    const chosen: Record<string, Spec> = {};
    args.forEach((a, i) => {
      if (values[i] !== OMIT) chosen[a.name] = values[i]!;
    });
    return { kind: op.kind, field: op.field.name, args: chosen };
  });
}

/**
 * A spec as a GraphQL literal of `type` (null: a type the schema does not know, such as an
 * unknown field's): enum values bare, everything else as in JSON, the markers expanded.
 */
function literal(spec: Spec, type: GraphQLInputType | null): string {
  const inner = type && isNonNullType(type) ? type.ofType : type;
  if (Array.isArray(spec)) return `[${spec.map((v) => literal(v, inner && isListType(inner) ? inner.ofType : inner)).join(', ')}]`;
  if (spec !== null && typeof spec === 'object') {
    if (spec.$ === 'repeat') {
      const item = literal(spec.of as Spec, inner && isListType(inner) ? inner.ofType : inner);
      return `[${new Array(spec.n as number).fill(item).join(',')}]`;
    }
    if (spec.$) return render(spec);
    const fields = inner && isInputObjectType(inner) ? inner.getFields() : {};
    return `{${Object.entries(spec)
      .map(([k, v]) => `${k}: ${literal(v, fields[k]?.type ?? null)}`)
      .join(', ')}}`;
  }
  if (typeof spec === 'string' && inner && isEnumType(getNamedType(inner)) && /^[_A-Za-z]\w*$/.test(spec)) return spec;
  return render(spec);
}

/** The operation with its arguments as variables, or written into the document as literals. */
function requestBody(op: Operation, args: Record<string, Spec>, asLiterals = false): string {
  const names = Object.keys(args);
  const typeOf = (n: string) => op.field.args.find((a) => a.name === n)!.type;
  const selection = isCompositeType(getNamedType(op.field.type)) ? ' { __typename }' : '';
  if (asLiterals) {
    const passed = names.map((n) => `${n}: ${literal(args[n]!, typeOf(n))}`).join(', ');
    const query = `${op.kind} { ${op.field.name}${passed ? `(${passed})` : ''}${selection} }`;
    return `{"query":${JSON.stringify(query)}}`;
  }
  const declared = names.map((n) => `$${n}: ${String(typeOf(n))}`).join(', ');
  const passed = names.map((n) => `${n}: $${n}`).join(', ');
  const query = `${op.kind} Case${declared ? `(${declared})` : ''} { ${op.field.name}${passed ? `(${passed})` : ''}${selection} }`;
  return `{"query":${JSON.stringify(query)},"variables":${render(args)}}`;
}

// ---- The server under test and what is watched while it runs.
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/**
 * Polls /healthz every 50 ms and samples the server's RSS until stopped, on a worker thread: the
 * cases' own work on the main thread (rendering a 2 MB body) must not count as the server's delay.
 */
const WATCHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const rss = () => Number(/VmRSS:\\s+(\\d+) kB/.exec(readFileSync('/proc/' + workerData.pid + '/status', 'utf8'))[1]) * 1024;
let running = true;
parentPort.on('message', () => { running = false; });
(async () => {
  // The first fetch of a thread loads the HTTP client (~100 ms): not the server's time.
  await fetch(workerData.url + '/healthz').then((r) => r.arrayBuffer());
  const seen = { slowestHealthz: 0, slowestAt: 0, healthzMs: [], peakRss: rss(), rssSeries: [], failures: [] };
  while (running) {
    const started = performance.now();
    try {
      const res = await fetch(workerData.url + '/healthz', { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.status !== 200) seen.failures.push('/healthz answered ' + res.status);
    } catch (err) {
      seen.failures.push('/healthz: ' + err.message);
    }
    const ms = performance.now() - started;
    if (ms > seen.slowestHealthz) Object.assign(seen, { slowestHealthz: ms, slowestAt: Date.now() });
    seen.healthzMs.push(ms);
    seen.peakRss = Math.max(seen.peakRss, rss());
    // Every 40th sample, to tell a leak (a rising line) from the garbage collector's sawtooth.
    if (seen.healthzMs.length % 40 === 0) seen.rssSeries.push(Math.round(rss() / 1048576));
    await new Promise((r) => setTimeout(r, 50));
  }
  parentPort.postMessage(seen);
})();
`;

interface Watched {
  slowestHealthz: number;
  slowestAt: number;
  healthzMs: number[];
  rssSeries: number[];
  peakRss: number;
  failures: string[];
}

function watch(pid: number) {
  const worker = new Worker(WATCHER, { eval: true, workerData: { pid, url } });
  const result = new Promise<Watched>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    stop: async () => {
      worker.postMessage('stop');
      const seen = await result;
      await worker.terminate();
      return seen;
    },
  };
}

/** Paths of this server that no answer may show unless the request named them itself. */
function serverPaths(role: string): string[] {
  const paths = [repoRoot.replace(/\/$/, ''), home, realpathSync(home), root, realpathSync(root)];
  // Maintainers and admins see import roots by design (graphql/auth.ts pathRedactor).
  if (role === 'anonymous' || role === 'READER') paths.push(modelRoot, realpathSync(modelRoot));
  return [...new Set(paths)];
}

const STACK = /stacktrace|\bat (async )?[\w.<>]+ \(|\.ts:\d+:\d+|node_modules/;

async function ensureModel(): Promise<void> {
  if (await db.prisma.model.findFirst({ where: { owner: 'bible', name: 'tiny-llama-kjv' } })) return;
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.MAINTAINER}` },
    body: JSON.stringify({
      query: 'mutation($p: String!) { registerModel(path: $p, name: "bible/tiny-llama-kjv") { model { id } } }',
      variables: { p: sharedModel },
    }),
  });
  const body = (await res.json()) as { data?: { registerModel: { model: { id: string } } }; errors?: unknown };
  if (!body.data) throw new Error(`registerModel: ${JSON.stringify(body.errors)}`);
  known.modelId = body.data.registerModel.model.id;
}

beforeAll(async () => {
  db = await createTestDatabase();
  for (const role of ['READER', 'MAINTAINER', 'ADMIN'] as const)
    tokens[role] = (await createToken(db.prisma, { name: role.toLowerCase(), role })).secret;
  const port = await freePort();
  server = runBonsai(['serve'], {
    DATABASE_URL: db.url,
    BONSAI_HOME: home,
    BONSAI_MODEL_ROOTS: `${modelRoot}:${root}`,
    BONSAI_WORKER_CONCURRENCY: '0',
    // V8 grows its heap lazily under a high allocation rate (1 MB bodies), so a peak of RSS says
    // little on an unbounded heap; bounded, the garbage is collected and a request that really
    // needs hundreds of MB kills the server, which fails the test.
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=256`.trim(),
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
  });
  await server.waitFor(/GraphQL\s+http:\/\/\S+\/graphql/);
  url = `http://127.0.0.1:${port}`;
  await ensureModel();
  // A queued job (no worker runs it), so job ids lead somewhere.
  const spawn = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.MAINTAINER}` },
    body: JSON.stringify({
      query: `mutation { spawnPrunedVariant(parent: "${MODEL}", recipe: { mlpWidth: { pruningFraction: 0.25 } }) { jobs { id } } }`,
    }),
  });
  const spawned = (await spawn.json()) as { data?: { spawnPrunedVariant: { jobs: Array<{ id: string }> } } };
  known.jobId = spawned.data?.spawnPrunedVariant.jobs[0]?.id ?? 'no-job';
}, 120_000);

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await db?.drop();
});

type Case = { role: string; literals: boolean; operation: { kind: string; field: string; args: Record<string, Spec> } };
const attack = (role: string, kind: string, field: string, args: Record<string, Spec>): Case => ({
  role,
  literals: false,
  operation: { kind, field, args },
});

/** The requests of issue 26 that failed, run first in every run (fast-check's `examples`). */
const KNOWN_ATTACKS: Case[] = [
  attack('anonymous', 'query', 'pruningPlan', { parent: MODEL, recipe: { depth: { last: 2 ** 31 - 1 } } }),
  attack('anonymous', 'query', 'pruningPlan', { parent: MODEL, recipe: { depth: { last: 100_000_000 } } }),
  attack('anonymous', 'query', 'pruningPlan', { parent: MODEL, recipe: { depth: { count: 2 ** 31 - 1, criterion: 'block-influence' } } }),
  attack('MAINTAINER', 'mutation', 'spawnPrunedVariant', { parent: MODEL, recipe: { depth: { last: 2 ** 31 - 1 } } }),
  attack('anonymous', 'query', 'models', { filter: { search: deep(10_000) } }),
  attack('anonymous', 'query', 'pruningPlan', { parent: MODEL, recipe: { mlpWidth: { pruningFractoin: 0.2 } } }),
  attack('ADMIN', 'mutation', 'createApiToken', { name: 'x', role: 'admn' }),
  attack('anonymous', 'query', 'jobs', { filter: { kind: repeat(200_000, '') } }),
  attack('anonymous', 'query', 'models', { filter: { license: repeat(100_000, 'x') } }),
  attack('anonymous', 'query', 'node', { id: bigString(1_000_000) }),
];

describe('every argument of every query and mutation, at the edges, with every role', () => {
  it(`answers 200 or 4xx JSON within 1 s, no stack or path; /healthz < 200 ms; RSS + < 200 MB (${RUNS} cases)`, async () => {
    const schema = buildSchema();
    const operations: Operation[] = [
      ...Object.values(schema.getQueryType()!.getFields()).map((field) => ({ kind: 'query' as const, field })),
      ...Object.values(schema.getMutationType()!.getFields()).map((field) => ({ kind: 'mutation' as const, field })),
    ];
    const byName = new Map(operations.map((op) => [op.field.name, op]));
    const arb = fc.record({
      role: fc.constantFrom('anonymous', 'READER', 'MAINTAINER', 'ADMIN'),
      // One case in four writes its arguments into the document (parsed and checked as literals).
      literals: fc.boolean().chain((b) => (b ? fc.boolean() : fc.constant(false))),
      operation: fc.oneof(...operations.map(operationArb)),
    });
    const pid = server.child.pid!;
    const watcher = watch(pid);
    const baseline = rssOf(pid);
    let cases = 0;
    /** How the answers ended (status and code), to see the cases reach past the input checks. */
    const outcomes = new Map<string, number>();
    const slowest = { ms: 0, field: '' };
    /** When each case ran, to name the one in flight when /healthz was slowest. */
    const timeline: Array<{ from: number; to: number; what: string }> = [];
    let failure: unknown = null;
    try {
      await fc.assert(
        fc.asyncProperty(arb, async ({ role, literals, operation }) => {
          cases++;
          const body = requestBody(byName.get(operation.field)!, operation.args, literals);
          const token = tokens[role];
          const started = performance.now();
          const res = await fetch(`${url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body,
            signal: AbortSignal.timeout(10_000),
          });
          const text = await res.text();
          const ms = performance.now() - started;
          const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? (/"data":\{"[^"]+":null/.test(text) ? 'null' : 'data');
          outcomes.set(`${res.status} ${code}`, (outcomes.get(`${res.status} ${code}`) ?? 0) + 1);
          timeline.push({ from: Date.now() - ms, to: Date.now(), what: `${role} ${operation.field} ${body.length} bytes` });
          if (ms > slowest.ms) Object.assign(slowest, { ms, field: operation.field });
          const what = `${role} ${operation.field}: HTTP ${res.status} in ${Math.round(ms)} ms: ${text.slice(0, 600)}`;
          expect(res.status === 200 || (res.status >= 400 && res.status < 500), what).toBe(true);
          expect(res.headers.get('content-type') ?? '', what).toMatch(/^application\/json/);
          expect(() => JSON.parse(text), what).not.toThrow();
          expect(ms, what).toBeLessThan(1000);
          expect(text, what).not.toMatch(STACK);
          for (const path of serverPaths(role)) if (!body.includes(path)) expect(text, what).not.toContain(path);
          // deleteModel may have removed the model the other cases aim at.
          if (operation.field === 'deleteModel') await ensureModel();
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true, examples: KNOWN_ATTACKS.map((a) => [a]) },
      );
    } catch (err) {
      failure = err;
    }
    const seen = await watcher.stop();
    const grown = seen.peakRss - baseline;
    const sorted = [...seen.healthzMs].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
    const during = timeline.filter((c) => c.from <= seen.slowestAt && c.to >= seen.slowestAt - seen.slowestHealthz);
    console.log(
      `surface: ${cases} cases, seed ${SEED}; slowest answer ${Math.round(slowest.ms)} ms (${slowest.field}); ` +
        `/healthz ${sorted.length} answers, p99 ${Math.round(p99)} ms, slowest ${Math.round(seen.slowestHealthz)} ms (during ${during.map((c) => c.what).join(', ') || 'no case'}); ` +
        `RSS ${Math.round(baseline / 2 ** 20)} MB, peak ${Math.round(seen.peakRss / 2 ** 20)} MB (+${Math.round(grown / 2 ** 20)} MB)`,
    );
    console.log(`surface: RSS over the run (MB): ${seen.rssSeries.join(' ')}`);
    console.log(
      `surface: answers ${[...outcomes]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ')}`,
    );
    if (server.child.exitCode !== null) console.log(server.output().slice(-4000));
    if (failure) throw failure;
    expect(seen.failures).toEqual([]);
    // The server answers /healthz within 200 ms: 99 % of the time, and never later than 1 s. The one
    // slow answer in a hundred is the machine, not the server: the suite runs its files in parallel on
    // two cores, where the scheduler alone delays an answer by 250 ms (measured, load average 7); a
    // request that blocks the server (a pruning plan of 2³¹ layers, coercing 200,000 bad values)
    // holds it for seconds and fails both.
    expect(sorted.length).toBeGreaterThan(20);
    expect(p99).toBeLessThan(200);
    expect(seen.slowestHealthz).toBeLessThan(1000);
    expect(grown).toBeLessThan(200 * 2 ** 20);
  }, 300_000);
});
