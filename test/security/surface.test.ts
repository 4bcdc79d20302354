// The whole GraphQL surface under extreme input (issue 26, "Keep it fixed"): every argument of
// every query and mutation, walked from the schema itself (graphql/schema.ts), gets generated
// values at the edges (0, −1, 2³¹−1, 2⁵³, ±Infinity and NaN as JSON, 10⁶-element lists,
// 10⁶-character strings, 10⁴-deep nesting, wrong kinds, unknown fields and enum values), sent
// anonymously and with each role's token to a real `bonsai serve` in a child process. Property:
// every answer is HTTP 200 or 4xx JSON within 1 s with no stack trace and no server path the request
// did not name itself; throughout, /healthz answers within 200 ms of a bare server's time (99 % of
// answers; every one within 1 s) and the server's RSS grows by less than 200 MB. The seed is fixed
// (BONSAI_FC_SEED overrides it) and a failure prints it with the case, so
// `BONSAI_FC_SEED=<seed> npx vitest run test/security/surface.test.ts` replays it.
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../../graphql/schema.js';
import { freePort } from '../../src/db/freePort.js';
import { createToken } from '../../src/registry/tokens.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { type BonsaiProcess, repoRoot, runBonsai } from '../helpers/bonsai.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { bigString, deep, type Operation, operationArb, repeat, requestBody, type Spec } from '../helpers/edgeValues.js';
import { rssOf, watch } from '../helpers/serverWatch.js';
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
    tokens[role] = (await createToken(db, { name: role.toLowerCase(), role })).secret;
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
      operation: fc.oneof(...operations.map((op) => operationArb(op, [MODEL, 'Bible/Tiny-Llama-KJV', known.modelId, known.jobId]))),
    });
    const pid = server.child.pid!;
    const watcher = await watch(pid, url);
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
    // /healthz answers within 200 ms of a bare HTTP server polled beside it (serverWatch.ts), 99 % of
    // the time, and never 1 s later: one slow answer in a hundred is the machine (the suite runs
    // files in parallel on two cores; 250 ms stalls measured at load average 7), while a request that
    // blocks the server (a pruning plan of 2³¹ layers, coercing 200,000 bad values) holds it for
    // seconds and fails both.
    expect(sorted.length).toBeGreaterThan(20);
    expect(p99).toBeLessThan(200);
    expect(seen.slowestHealthz).toBeLessThan(1000);
    expect(grown).toBeLessThan(200 * 2 ** 20);
  }, 300_000);
});
