// storageStats (GraphQL) and `bonsai store stats --json` against figures worked out from the files
// themselves: two models whose weights differ in one tensor share every other tensor's bytes.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { runBonsai } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;
let roots: string;
/** The size of the tensor the second model changes. */
let changedTensorBytes: number;

beforeAll(async () => {
  roots = tempDir('bonsai-roots-');
  cpSync(sharedModel, join(roots, 'a'), { recursive: true });
  cpSync(sharedModel, join(roots, 'b'), { recursive: true });
  // b: the same checkpoint with the last tensor's bytes changed (as a fine-tune of one matrix would).
  const weights = readFileSync(join(roots, 'b', 'model.safetensors'));
  const headerLength = Number(weights.readBigUInt64LE(0));
  const header = JSON.parse(weights.subarray(8, 8 + headerLength).toString()) as Record<string, { data_offsets?: [number, number] }>;
  const last = Object.values(header)
    .filter((t) => t.data_offsets)
    .sort((x, y) => y.data_offsets![1] - x.data_offsets![1])[0]!;
  changedTensorBytes = last.data_offsets![1] - last.data_offsets![0];
  expect(8 + headerLength + last.data_offsets![1]).toBe(weights.length);
  for (let i = weights.length - changedTensorBytes; i < weights.length; i++) weights[i] = weights[i]! ^ 0x5a;
  writeFileSync(join(roots, 'b', 'model.safetensors'), weights);
  api = await startTestApi({ modelRoots: [roots] });
  await api.register(join(roots, 'a'), 'stats/a');
  await api.register(join(roots, 'b'), 'stats/b');
}, 120_000);
afterAll(() => api?.close());

const QUERY = `{ storageStats { logicalBytes physicalBytes files objects missingFiles models { name logicalBytes ownBytes sharedBytes } } }`;

it('counts a tensor two models share once, and each model’s own bytes are the tensor only it has', async () => {
  const rows = await api.db.prisma.artifactFile.findMany({ where: { artifact: { model: { owner: 'stats' } } } });
  const logical = rows.reduce((n, f) => n + Number(f.size), 0);
  const r = await api.gql<{
    storageStats: {
      logicalBytes: string;
      physicalBytes: string;
      missingFiles: number;
      models: Array<{ name: string; logicalBytes: string; ownBytes: string; sharedBytes: string }>;
    };
  }>(QUERY);
  expect(r.errors).toBeUndefined();
  const s = r.data!.storageStats;
  expect(Number(s.logicalBytes)).toBe(logical);
  // Every file of a once, and of b only the changed tensor (the header and every other piece are a's).
  expect(Number(s.physicalBytes)).toBe(logical / 2 + changedTensorBytes);
  expect(s.missingFiles).toBe(0);
  // Shared: everything of each model but the tensor only it has (the header, the other tensors, config and tokenizer).
  const shared = String(logical / 2 - changedTensorBytes);
  expect(s.models).toEqual([
    { name: 'stats/a', logicalBytes: String(logical / 2), ownBytes: String(changedTensorBytes), sharedBytes: shared },
    { name: 'stats/b', logicalBytes: String(logical / 2), ownBytes: String(changedTensorBytes), sharedBytes: shared },
  ]);
  const m = await api.gql<{ model: { ownBytes: string; sharedBytes: string; byteSize: string } }>(
    `{ model(name: "stats/b") { ownBytes sharedBytes byteSize } }`,
  );
  expect(m.data!.model.ownBytes).toBe(String(changedTensorBytes));
  expect(m.data!.model.sharedBytes).toBe(shared);

  // The CLI says the same.
  const cli = runBonsai(['store', 'stats', '--json'], { DATABASE_URL: api.db.url, BONSAI_ARTIFACTS_DIR: api.registry.store.root });
  const { code } = await cli.exited;
  expect(code, cli.output()).toBe(0);
  const json = JSON.parse(cli.output().slice(cli.output().indexOf('{'))) as {
    logicalBytes: number;
    physicalBytes: number;
    models: Array<{ ownBytes: number; sharedBytes: number }>;
  };
  expect(json.logicalBytes).toBe(logical);
  expect(json.physicalBytes).toBe(logical / 2 + changedTensorBytes);
  expect(json.models.map((m) => [m.ownBytes, m.sharedBytes])).toEqual([
    [changedTensorBytes, Number(shared)],
    [changedTensorBytes, Number(shared)],
  ]);
}, 120_000);
