// `bonsai serve` on its embedded Postgres, as real processes: start, a second start on the same
// folder, kill -9 and restart with the data intact, clean stop on SIGTERM.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/freePort.js';
import { type BonsaiProcess, runBonsai } from '../helpers/bonsai.js';

const home = mkdtempSync(join(tmpdir(), 'bonsai-serve-'));
const running: BonsaiProcess[] = [];

afterAll(async () => {
  for (const p of running) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  // A cluster orphaned by the kill -9 below is stopped by the restart; make sure of it anyway.
  const pidFile = join(home, 'postgres', 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    try {
      process.kill(pid, 'SIGINT');
    } catch {}
  }
  rmSync(home, { recursive: true, force: true });
});

async function start(port: number): Promise<BonsaiProcess> {
  const p = runBonsai(['serve'], { BONSAI_HOME: home, PORT: String(port) });
  running.push(p);
  await p.waitFor(/GraphQL\s+http:\/\/\S+\/graphql/);
  return p;
}

async function health(port: number): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ health { database embeddedDatabase } }' }),
  });
  return res.json();
}

function embeddedUrl(): string {
  const state = JSON.parse(readFileSync(join(home, 'postgres.json'), 'utf8')) as { port: number; password: string };
  return `postgresql://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/bonsai`;
}

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: embeddedUrl() });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('bonsai serve on the embedded Postgres', () => {
  it('starts, refuses a second server on the same folder, survives kill -9 and stops cleanly', async () => {
    const port = await freePort();
    const first = await start(port);
    expect(await health(port)).toEqual({ data: { health: { database: 'OK', embeddedDatabase: true } } });

    await query(`INSERT INTO "Model" (id, owner, name, kind, "updatedAt") VALUES (gen_random_uuid(), 'acme', 'survivor', 'BASE', now())`);

    const second = runBonsai(['serve'], { BONSAI_HOME: home, PORT: String(await freePort()) });
    running.push(second);
    const { code } = await second.exited;
    expect(code).toBe(2);
    expect(second.output()).toMatch(new RegExp(`data folder ${home} is in use by process ${first.child.pid}`));

    // `bonsai token create` joins the running server's cluster; its secret works on the API.
    const tokenRun = runBonsai(['token', 'create', '--role', 'admin', '--name', 'first'], { BONSAI_HOME: home });
    expect((await tokenRun.exited).code).toBe(0);
    const secret = /bonsai_\S+/.exec(tokenRun.output())?.[0];
    expect(secret).toBeDefined();
    const created = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ query: 'mutation { createApiToken(name: "second", role: READER) { token { role } } }' }),
    });
    expect(await created.json()).toEqual({ data: { createApiToken: { token: { role: 'READER' } } } });

    first.child.kill('SIGKILL');
    await first.exited;

    const third = await start(port);
    expect(await health(port)).toEqual({ data: { health: { database: 'OK', embeddedDatabase: true } } });
    const rows = await query<{ name: string }>(`SELECT name FROM "Model" WHERE owner = 'acme'`);
    expect(rows.map((r) => r.name)).toEqual(['survivor']);

    third.child.kill('SIGTERM');
    expect(await third.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(join(home, 'bonsai.lock'))).toBe(false);
    expect(existsSync(join(home, 'postgres', 'postmaster.pid'))).toBe(false);
  });
});
