// A worker on "another machine": its own home, no path of the server's, only DATABASE_URL and the
// store's URL (a bucket on a local S3 server). The server stores a registration in the bucket; the
// worker prunes the spawned child and evaluates it through the bucket; the server then serves the
// child's files from the bucket, whole and by byte range.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { type BonsaiProcess, runBonsai } from '../helpers/bonsai.js';
import { type LocalS3, startLocalS3 } from '../helpers/s3.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

let s3: LocalS3;
let api: TestApi;
let worker: BonsaiProcess | undefined;

beforeAll(async () => {
  s3 = await startLocalS3('remote');
  // The server process's S3 client reads the SDK's standard variables, as a deployment's would.
  Object.assign(process.env, s3.env);
  const roots = tempDir('bonsai-roots-');
  cpSync(sharedModel, join(roots, 'tiny'), { recursive: true });
  api = await startTestApi({ modelRoots: [roots], artifactsUrl: s3.url });
  await api.register(join(roots, 'tiny'), 'bible/tiny');
}, 120_000);
afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await api?.close();
  await s3?.close();
});

it('a worker with only DATABASE_URL and the store URL completes a spawn with its evaluation', async () => {
  // Nothing of the registration is in the server's folder: the blobs are in the bucket.
  expect(existsSync(join(api.home, 'artifacts', 'blobs'))).toBe(false);
  expect((await api.registry.store.listBlobs()).length).toBeGreaterThan(0);

  const r = await api.gql<{ spawnPrunedVariant: { model: { name: string } } }>(
    `mutation { spawnPrunedVariant(parent: "bible/tiny", recipe: { mlpWidth: { pruningFraction: 0.25 } }, evaluate: [{ task: "speed", contextLength: 16 }]) { model { name } } }`,
  );
  expect(r.errors).toBeUndefined();
  const name = r.data!.spawnPrunedVariant.model.name;

  const home = tempDir('bonsai-remote-worker-');
  worker = runBonsai(['worker'], {
    ...s3.env,
    DATABASE_URL: api.db.url,
    BONSAI_ARTIFACTS_URL: s3.url,
    BONSAI_HOME: home,
    // Nothing of the server's: its home, store folder and import roots are not this worker's.
    BONSAI_ARTIFACTS_DIR: '',
    BONSAI_MODEL_ROOTS: '',
    LOG_LEVEL: 'info',
  });
  await worker.waitFor(/worker ready/, 60_000);

  const model = await waitFor(
    'READY',
    async () => {
      const q = await api.gql<{
        model: {
          status: string;
          files: Array<{ path: string; sha256: string; size: string }>;
          evaluations: Array<{ metric: string; value: number }>;
          jobs: Array<{ kind: string; status: string; error: string | null }>;
        };
      }>(
        `query($n: String!) { model(name: $n) { status files { path sha256 size } evaluations(task: "speed") { metric value } jobs { kind status error } } }`,
        { n: name },
      );
      const m = q.data!.model;
      return m.status === 'READY' || m.status === 'FAILED' ? m : undefined;
    },
    240_000,
    250,
  );
  expect(model.jobs.map((j) => [j.kind, j.status, j.error]).sort()).toEqual([
    ['EVALUATE', 'SUCCEEDED', null],
    ['PRUNE', 'SUCCEEDED', null],
  ]);
  expect(model.status).toBe('READY');
  expect(model.evaluations.find((e) => e.metric === 'prefill_tokens_per_second')!.value).toBeGreaterThan(0);
  // The worker's local files were its own: the graph it exported for the evaluation is in its home.
  expect(readdirSync(join(home, 'artifacts', 'onnx-cache')).length).toBeGreaterThan(0);
  expect(existsSync(join(api.home, 'artifacts', 'onnx-cache'))).toBe(false);

  // The server serves the child's weights from the bucket: the bytes whose sha256 the worker recorded.
  const weights = model.files.find((f) => f.path === 'model.safetensors')!;
  const url = `${api.server.url}/${name}/resolve/main/model.safetensors`;
  const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
  expect(whole.length).toBe(Number(weights.size));
  expect(createHash('sha256').update(whole).digest('hex')).toBe(weights.sha256);
  const tail = await fetch(url, { headers: { range: 'bytes=-1000' } });
  expect(tail.status).toBe(206);
  expect(tail.headers.get('content-range')).toBe(`bytes ${whole.length - 1000}-${whole.length - 1}/${whole.length}`);
  expect(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(whole.length - 1000))).toBe(true);
  const head = await fetch(url, { method: 'HEAD' });
  expect(head.headers.get('content-length')).toBe(String(whole.length));
  const etag = head.headers.get('etag')!;
  // node:http, not fetch: fetch adds Cache-Control: no-cache to a conditional request (Fetch standard,
  // HTTP-network-or-cache fetch), which rightly makes any server answer in full.
  const conditional = await new Promise<number>((done, fail) =>
    get(url, { headers: { 'if-none-match': etag } }, (res) => {
      res.resume();
      done(res.statusCode!);
    }).on('error', fail),
  );
  expect(conditional).toBe(304);
  // A stale If-Range: the whole file, not the range.
  const stale = await fetch(url, { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
  expect(stale.status).toBe(200);
  expect((await stale.arrayBuffer()).byteLength).toBe(whole.length);
  expect((await fetch(url, { headers: { range: `bytes=${whole.length + 5}-` } })).status).toBe(416);
}, 300_000);
