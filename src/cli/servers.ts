// Which registry a command-line tool talks to. `bonsai serve` announces itself in
// $XDG_STATE_HOME/bonsai/servers/<pid>.json (its data folder, store, import roots and database),
// so `bonsai token create`, `register`, `export` and `prune OWNER/NAME` run from any folder use the
// running server's registry instead of quietly starting a second, empty embedded database in
// ./.bonsai. BONSAI_HOME or DATABASE_URL, when given, always win.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, loadConfig, loadConfigFor } from '../config.js';
import { pidAlive } from '../db/pid.js';
import { BonsaiError } from '../errors.js';

interface Announcement {
  pid: number;
  url: string;
  home: string;
  artifactsDir: string;
  artifactsUrl?: string;
  modelRoots: string[];
  hubCache: string;
  /** Only for an external database (DATABASE_URL); the embedded one is found from `home`. */
  databaseUrl?: string;
}

const folder = (config: Config) => join(config.stateDir, 'servers');

/** Written by `bonsai serve` once it listens; removed when it stops (a killed one is ignored by pid). */
export function announceServer(config: Config, url: string): () => void {
  const dir = folder(config);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${process.pid}.json`);
  const a: Announcement = {
    pid: process.pid,
    url,
    home: config.home,
    artifactsDir: config.artifactsDir,
    ...(config.artifactsUrl ? { artifactsUrl: config.artifactsUrl } : {}),
    modelRoots: config.modelRoots,
    hubCache: config.hubCache,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
  };
  // 0600: an external DATABASE_URL carries its password.
  writeFileSync(file, `${JSON.stringify(a, null, 2)}\n`, { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

function runningServers(config: Config): Announcement[] {
  const dir = folder(config);
  if (!existsSync(dir)) return [];
  const out: Announcement[] = [];
  for (const name of readdirSync(dir)) {
    try {
      const a = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Announcement;
      if (typeof a.pid === 'number' && pidAlive(a.pid) && a.pid !== process.pid) out.push(a);
      else rmSync(join(dir, name), { force: true });
    } catch {
      // A file being written, or not ours: not a server.
    }
  }
  return out;
}

/** A running server's settings, where the tool's environment does not give its own. */
function adopt(s: Announcement): Config {
  return loadConfigFor(s);
}

/**
 * The configuration a tool should use, and a line saying which registry that is. Order: an
 * explicit BONSAI_HOME or DATABASE_URL; ./.bonsai when it holds a registry; the one running
 * server; otherwise a clear error instead of a new empty registry. When a server runs on the
 * chosen registry, its import roots, store and Hugging Face cache apply (unless the tool's
 * environment sets them), so `bonsai register` accepts what the server would.
 */
export function registryConfig(): { config: Config; using: string; server?: { url: string; pid: number } } {
  const config = loadConfig();
  const servers = runningServers(config);
  const serving = (c: Config) => servers.find((s) => s.home === c.home && (s.databaseUrl ?? undefined) === c.databaseUrl);
  if (config.registryExplicit || existsSync(join(config.home, 'postgres.json'))) {
    const s = serving(config);
    const chosen = s ? { ...adopt(s), registryExplicit: config.registryExplicit } : config;
    const where = config.databaseUrl
      ? 'the database at DATABASE_URL'
      : `the registry in ${config.home}${config.registryExplicit ? ' (BONSAI_HOME)' : ''}`;
    return {
      config: chosen,
      using: s ? `${where}, served at ${s.url} (pid ${s.pid})` : where,
      ...(s ? { server: { url: s.url, pid: s.pid } } : {}),
    };
  }
  if (servers.length === 1) {
    const s = servers[0]!;
    return {
      config: { ...adopt(s), registryExplicit: false },
      using: `the registry of the Bonsai server at ${s.url} (pid ${s.pid}, data in ${s.home})`,
      server: { url: s.url, pid: s.pid },
    };
  }
  if (servers.length > 1) {
    throw new BonsaiError(
      'BAD_CONFIG',
      `several Bonsai servers are running (${servers.map((s) => `${s.url} from ${s.home}`).join('; ')}); set BONSAI_HOME to the one to use`,
      { field: 'BONSAI_HOME' },
    );
  }
  throw new BonsaiError(
    'BAD_CONFIG',
    `no Bonsai registry here: no server is running and ${config.home} does not exist. Start one with \`npm start\` ` +
      '(in another terminal), or set BONSAI_HOME to its data folder or DATABASE_URL to its database',
    { field: 'BONSAI_HOME' },
  );
}
