// Which registry a command-line tool talks to. `bonsai serve` announces itself in
// $XDG_STATE_HOME/bonsai/servers/<pid>.json (its data folder, store, import roots and database),
// so `bonsai token create`, `register`, `export` and `prune OWNER/NAME` run from any folder use the
// running server's registry instead of quietly starting a second, empty embedded database in
// ./.bonsai. BONSAI_HOME or DATABASE_URL, when given, always win.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, loadConfig } from '../config.js';
import { pidAlive } from '../db/pid.js';
import { BonsaiError } from '../errors.js';

interface Announcement {
  pid: number;
  url: string;
  home: string;
  artifactsDir: string;
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

/**
 * The configuration a tool should use, and a line saying which registry that is. Order: an
 * explicit BONSAI_HOME or DATABASE_URL; ./.bonsai when it holds a registry; the one running
 * server; otherwise a clear error instead of a new empty registry.
 */
export function registryConfig(): { config: Config; using: string } {
  const config = loadConfig();
  if (config.registryExplicit) {
    return { config, using: config.databaseUrl ? 'the database at DATABASE_URL' : `the registry in ${config.home} (BONSAI_HOME)` };
  }
  if (existsSync(join(config.home, 'postgres.json'))) return { config, using: `the registry in ${config.home}` };
  const servers = runningServers(config);
  if (servers.length === 1) {
    const s = servers[0]!;
    const env = {
      ...process.env,
      BONSAI_HOME: s.home,
      BONSAI_ARTIFACTS_DIR: s.artifactsDir,
      BONSAI_MODEL_ROOTS: s.modelRoots.join(':'),
      // The tool's own Hugging Face cache, if it names one, else the server's.
      ...(process.env.HF_HOME || process.env.HF_HUB_CACHE ? {} : { HF_HUB_CACHE: s.hubCache }),
      DATABASE_URL: s.databaseUrl ?? '',
    };
    return {
      config: { ...loadConfig(env), registryExplicit: false },
      using: `the registry of the Bonsai server at ${s.url} (pid ${s.pid}, data in ${s.home})`,
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
