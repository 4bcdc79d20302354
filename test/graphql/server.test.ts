import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema, sdlPath, typegenPath, writeSchemaArtifacts } from '../../graphql/schema.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { tempDir } from '../helpers/tmp.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

async function gql(
  query: string,
): Promise<{ data?: Record<string, unknown>; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
  const res = await fetch(`${api.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return res.json() as Promise<never>;
}

describe('HTTP server', () => {
  it('answers the health query from the database', async () => {
    const r = await gql('{ health { database databaseLatencyMs embeddedDatabase version } }');
    expect(r.errors).toBeUndefined();
    expect(r.data?.health).toMatchObject({ database: 'OK', embeddedDatabase: false, version: '9.9.9' });
    expect((r.data?.health as { databaseLatencyMs: number } | undefined)?.databaseLatencyMs).toBeGreaterThan(0);
  });

  it('gives validation errors a code', async () => {
    const r = await gql('{ health { nope } }');
    expect(r.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('serves /healthz and a page at /', async () => {
    const health = await fetch(`${api.server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: 'ok' });
    const page = await fetch(`${api.server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Bonsai');
  });

  it('refuses a GET mutation-free query without a CSRF-safe header (CSRF prevention stays on)', async () => {
    const res = await fetch(`${api.server.url}/graphql?query=${encodeURIComponent('{ health { version } }')}`);
    expect(res.status).toBe(400);
  });
});

describe('committed SDL', () => {
  it('matches the schema (run `npm run generate` when this fails)', () => {
    const committed = readFileSync(sdlPath, 'utf8')
      .replace(/^###.*\n/gm, '')
      .trim();
    expect(committed).toBe(printSchema(lexicographicSortSchema(buildSchema())).trim());
  });

  it('and the committed Nexus typings are not stale either (run `npm run generate`)', async () => {
    const dir = tempDir('bonsai-typegen-');
    const outputs = { schema: join(dir, 'schema.graphql'), typegen: join(dir, 'nexus.ts') };
    await writeSchemaArtifacts(outputs);
    // Relative imports in the typings point from graphql/generated/; compare without them.
    const strip = (t: string) => t.replace(/^import .*$/gm, '').trim();
    expect(strip(readFileSync(typegenPath, 'utf8'))).toBe(strip(readFileSync(outputs.typegen, 'utf8')));
  });
});
