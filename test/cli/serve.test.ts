// `bonsai serve` on its embedded Postgres, as real processes: start, a second start on the same
// folder, kill -9 and restart with the data intact, clean stop on SIGTERM.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/freePort.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { type BonsaiProcess, repoRoot, runBonsai } from '../helpers/bonsai.js';

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
    const secret = /hf_bonsai_\S+/.exec(tokenRun.output())?.[0];
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

  it('a new user: the import root is created and printed, and tools run from any folder use the running server', async () => {
    const userHome = mkdtempSync(join(tmpdir(), 'bonsai-user-'));
    // As a real home folder: the embedded Postgres runs as `postgres` when we are root and must enter it.
    chmodSync(userHome, 0o755);
    const data = join(userHome, '.bonsai');
    try {
      const port = await freePort();
      // As `npm start` from the project folder: no BONSAI_HOME, no BONSAI_MODEL_ROOTS.
      // As the README's `npm start` with the Hugging Face cache among the import roots.
      const hfHome = join(userHome, 'hf');
      const roots = `${join(data, 'imports')}:${hfHome}`;
      const server = runBonsai(['serve'], { BONSAI_HOME: '', BONSAI_MODEL_ROOTS: roots, PORT: String(port) }, { cwd: userHome });
      running.push(server);
      await server.waitFor(/GraphQL\s+http:\/\/\S+\/graphql/);
      const imports = join(data, 'imports');
      await server.waitFor(/imports\s+\S+/);
      expect(server.output()).toContain(`imports  ${imports}`);
      expect(existsSync(imports)).toBe(true);

      // The shared model as a Hugging Face cache under the import root, registered by hf:// from another folder.
      const repo = join(hfHome, 'hub', 'models--bible--tiny-llama-kjv');
      const commit = 'c'.repeat(40);
      mkdirSync(join(repo, 'blobs'), { recursive: true });
      mkdirSync(join(repo, 'snapshots', commit), { recursive: true });
      mkdirSync(join(repo, 'refs'));
      writeFileSync(join(repo, 'refs', 'main'), commit);
      for (const f of readdirSync(sharedModel)) {
        const hash = createHash('sha256')
          .update(readFileSync(join(sharedModel, f)))
          .digest('hex');
        cpSync(join(sharedModel, f), join(repo, 'blobs', hash));
        symlinkSync(`../../blobs/${hash}`, join(repo, 'snapshots', commit, f));
      }
      const elsewhere = mkdtempSync(join(tmpdir(), 'bonsai-elsewhere-'));
      // The tools get neither BONSAI_HOME nor the roots: they take the running server's.
      const tool = { BONSAI_HOME: '', BONSAI_MODEL_ROOTS: '', HF_HOME: hfHome };
      const register = runBonsai(['register', 'hf://bible/tiny-llama-kjv', '--name', 'bible/tiny-llama-kjv'], tool, { cwd: elsewhere });
      expect((await register.exited).code, register.output()).toBe(0);
      expect(register.output()).toContain(`using the registry of the Bonsai server at http://127.0.0.1:${port} (pid ${server.child.pid}`);
      expect(register.output()).toMatch(
        /registered bible\/tiny-llama-kjv from \S+snapshots\/c{40}: LlamaForCausalLM, 8,800,704 parameters/,
      );
      expect(register.output()).toMatch(/skipped reference\.json .*not a file of a Hugging Face checkpoint/);
      expect(existsSync(join(elsewhere, '.bonsai'))).toBe(false);
      // From the project folder (./.bonsai), the same server's roots apply too.
      const pinned = runBonsai(['register', `hf://bible/tiny-llama-kjv@${commit}`, '--name', 'bible/pinned'], tool, { cwd: userHome });
      expect((await pinned.exited).code, pinned.output()).toBe(0);
      expect(pinned.output()).toContain(`using the registry in ${data}, served at http://127.0.0.1:${port}`);

      const token = runBonsai(['token', 'create', '--role', 'reader'], tool, { cwd: elsewhere });
      expect((await token.exited).code).toBe(0);
      const secret = /hf_bonsai_\S+/.exec(token.output())?.[0];
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
        body: JSON.stringify({ query: '{ viewer { role } model(name: "bible/tiny-llama-kjv") { status } }' }),
      });
      expect(await res.json()).toEqual({ data: { viewer: { role: 'READER' }, model: { status: 'READY' } } });

      // With no server and no ./.bonsai, a tool says so instead of starting an empty registry.
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
      const orphan = runBonsai(['token', 'list'], tool, { cwd: elsewhere });
      expect((await orphan.exited).code).toBe(2);
      expect(orphan.output()).toMatch(/no Bonsai registry here: no server is running/);
      expect(existsSync(join(elsewhere, '.bonsai'))).toBe(false);
    } finally {
      rmSync(userHome, { recursive: true, force: true });
    }
  }, 180_000);

  it('bonsai --version prints the package version', async () => {
    const p = runBonsai(['--version'], {});
    expect((await p.exited).code).toBe(0);
    expect(p.output().trim()).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  });
});
