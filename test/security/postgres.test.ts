// kill -9 of the embedded Postgres under a running `bonsai serve`: while it is down the API answers
// DATABASE_UNAVAILABLE with HTTP 503 (token checks included, which were INTERNAL_SERVER_ERROR),
// the server restarts it, and everything answers again with the data intact.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/freePort.js';
import { type BonsaiProcess, runBonsai } from '../helpers/bonsai.js';
import { waitFor } from '../helpers/waitFor.js';

const home = mkdtempSync(join(tmpdir(), 'bonsai-pgkill-'));
let server: BonsaiProcess | undefined;

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(home, { recursive: true, force: true });
});

const postmasterPid = () => Number(readFileSync(join(home, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

async function gql(port: number, query: string, token?: string) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}

describe('the embedded Postgres is supervised', () => {
  it('answers 503 DATABASE_UNAVAILABLE while it is down, restarts it, and recovers', async () => {
    const port = await freePort();
    server = runBonsai(['serve'], { BONSAI_HOME: home, PORT: String(port) });
    await server.waitFor(/GraphQL\s+http:\/\/\S+\/graphql/);
    const token = runBonsai(['token', 'create', '--role', 'maintainer', '--name', 'ci'], { BONSAI_HOME: home });
    expect((await token.exited).code).toBe(0);
    const secret = /hf_bonsai_\S+/.exec(token.output())![0];
    expect((await gql(port, '{ viewer { role } }', secret)).body).toEqual({ data: { viewer: { role: 'MAINTAINER' } } });

    // The whole server dies at once (as under the OOM killer): the postmaster and its backends, so no
    // backend still holding a connection answers a last query.
    const killed = postmasterPid();
    const backends = execFileSync('pgrep', ['-P', String(killed)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
    process.kill(killed, 'SIGKILL');
    for (const pid of backends) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const withToken = await gql(port, '{ viewer { role } }', secret);
    const anonymous = await gql(port, '{ models { totalCount } }');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    const card = await fetch(`http://127.0.0.1:${port}/models/acme/none/README.md`, { headers: { authorization: `Bearer ${secret}` } });
    expect(card.status).toBe(503);
    for (const r of [withToken, anonymous]) {
      expect(r.status, JSON.stringify(r.body)).toBe(503);
      expect(r.retryAfter).toBe('5');
      expect((r.body.errors as Array<{ extensions: { code: string } }>)[0]?.extensions.code).toBe('DATABASE_UNAVAILABLE');
    }
    expect(health.status).toBe(503);

    await server.waitFor(/the embedded Postgres stopped \(SIGKILL\); restarting it/);
    await waitFor(
      'the database to answer again',
      async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200 ? true : undefined),
      60_000,
      250,
    );
    expect(postmasterPid()).not.toBe(killed);
    expect(await gql(port, '{ viewer { role } }', secret)).toMatchObject({
      status: 200,
      body: { data: { viewer: { role: 'MAINTAINER' } } },
    });
    expect(server.output()).toMatch(/the embedded Postgres is running again \(restart 1/);

    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    expect(existsSync(join(home, 'postgres', 'postmaster.pid'))).toBe(false);
  }, 120_000);
});
