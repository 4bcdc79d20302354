// Model.authorCard: the README.md a checkpoint was registered with, as stored; null without one.
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;
let root: string;

describe('Model.authorCard', () => {
  beforeAll(async () => {
    root = tempDir('bonsai-authorcard-');
    cpSync(sharedModel, join(root, 'with-readme'), { recursive: true });
    cpSync(sharedModel, join(root, 'without-readme'), { recursive: true });
    rmSync(join(root, 'without-readme', 'README.md'));
    api = await startTestApi({ modelRoots: [root] });
    await api.register(join(root, 'with-readme'), 'bible/with-readme');
    await api.register(join(root, 'without-readme'), 'bible/without-readme');
  }, 120_000);
  afterAll(() => api?.close());

  it('is the stored README.md, byte for byte, and null for a checkpoint without one', async () => {
    const r = await api.gql<{ a: { authorCard: string | null }; b: { authorCard: string | null } }>(
      '{ a: model(name: "bible/with-readme") { authorCard } b: model(name: "bible/without-readme") { authorCard } }',
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.a.authorCard).toBe(readFileSync(join(sharedModel, 'README.md'), 'utf8'));
    expect(r.data!.b.authorCard).toBeNull();
  });
});
