// The dataFiles query: the import roots' text files by root-relative name, for maintainers only.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

const TEXT = 'In the beginning God created the heaven and the earth.';
let api: TestApi;
let root: string;

describe('dataFiles', () => {
  beforeAll(async () => {
    root = tempDir('bonsai-datafiles-');
    mkdirSync(join(root, 'kjv'));
    writeFileSync(join(root, 'kjv', 'val.txt'), TEXT);
    writeFileSync(join(root, 'config.json'), '{}');
    api = await startTestApi({ modelRoots: [root] });
  });
  afterAll(() => api?.close());

  const QUERY = '{ dataFiles { name size } }';

  it('lists them for a maintainer, by the name spawn accepts, with no server path', async () => {
    const r = await api.gql<{ dataFiles: Array<{ name: string; size: string }> }>(QUERY, {}, api.tokens.MAINTAINER);
    expect(r.errors).toBeUndefined();
    expect(r.data!.dataFiles).toEqual([{ name: 'kjv/val.txt', size: String(Buffer.byteLength(TEXT)) }]);
    expect(JSON.stringify(r)).not.toContain(root);
  });

  it('refuses a reader (403) and a request without a token (401)', async () => {
    const reader = await api.gql(QUERY, {}, api.tokens.READER);
    expect(reader.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const none = await api.gql(QUERY, {}, null);
    expect(none.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
