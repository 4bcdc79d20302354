// Failures that a retry cannot fix fail at once, after one attempt, with the reason: a data file
// that grew past the size limit after the job was asked for, and a stored tokenizer that no
// longer loads (as after disk corruption). A crash or a lost worker is still retried
// (test/workers/crash.test.ts).
import { chmodSync, copyFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPermanent } from '../../workers/failures.js';
import { copySharedModel, sharedDir } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

let api: TestApi;
const root = tempDir('bonsai-permanent-');

beforeAll(async () => {
  copySharedModel(join(root, 'kjv'));
  api = await startTestApi({ modelRoots: [root] });
  await api.register(join(root, 'kjv'), 'bible/kjv');
  await api.startRunner([root]);
}, 120_000);
afterAll(async () => {
  await api?.close();
});

async function finished(jobId: string) {
  return waitFor(
    'the job to finish',
    async () => {
      const job = await api.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
      return job.status === 'FAILED' || job.status === 'SUCCEEDED' ? job : undefined;
    },
    90_000,
  );
}

const EVALUATE = 'mutation($t: [EvaluationTaskInput!]!) { evaluateModel(model: "bible/kjv", tasks: $t) { databaseId } }';

describe('permanent failures are not retried', () => {
  it('a data file over the size limit: FAILED after one attempt, with the reason', async () => {
    const data = join(root, 'grows.txt');
    copyFileSync(join(sharedDir, 'data', 'kjv-val.txt'), data);
    const r = await api.gql<{ evaluateModel: Array<{ databaseId: string }> }>(EVALUATE, { t: [{ task: 'perplexity', data }] });
    expect(r.errors).toBeUndefined();
    // It was fine when the job was asked for; it is not when the job reads it.
    truncateSync(data, 256 * 1024 * 1024 + 10);
    const job = await finished(r.data!.evaluateModel[0]!.databaseId);
    expect(job).toMatchObject({ status: 'FAILED', attempts: 1, maxAttempts: 3, errorCode: 'BAD_USER_INPUT' });
    expect(job.error).toMatch(/has 268,435,466 bytes; data files may have at most 268,435,456 \(256 MiB\)/);
  });

  it('a stored tokenizer that no longer loads: FAILED after one attempt, with the reason', async () => {
    const model = await api.db.prisma.model.findFirstOrThrow({
      where: { name: 'kjv' },
      include: { artifact: { include: { files: true } } },
    });
    const blob = api.registry.store.blobPath(model.artifact!.files.find((f) => f.path === 'tokenizer.json')!.sha256);
    chmodSync(blob, 0o644);
    writeFileSync(blob, '{"model": {"type": "BPE", "vocab": 5, "merges": 7}}');
    const data = join(root, 'val.txt');
    copyFileSync(join(sharedDir, 'data', 'kjv-val.txt'), data);
    const r = await api.gql<{ evaluateModel: Array<{ databaseId: string }> }>(EVALUATE, { t: [{ task: 'perplexity', data }] });
    expect(r.errors).toBeUndefined();
    const job = await finished(r.data!.evaluateModel[0]!.databaseId);
    expect(job).toMatchObject({ status: 'FAILED', attempts: 1, errorCode: 'BAD_CHECKPOINT' });
    expect(job.error).toMatch(/tokenizer\.json: the tokenizer cannot be loaded/);
  });

  it('a full disk is permanent; a lost connection is not', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    expect(isPermanent(errno('ENOSPC'))).toBe(true);
    expect(isPermanent(errno('EDQUOT'))).toBe(true);
    expect(isPermanent(errno('ECONNRESET'))).toBe(false);
    expect(isPermanent(new Error('worker crashed'))).toBe(false);
  });
});
