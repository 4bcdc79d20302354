// The README's install puts `bonsai` on the PATH with `npm link --ignore-scripts` (npm's global
// bin folder: a link to src/cli/bonsai.mjs), so the card's "How to reproduce" command runs as
// printed in a new terminal, from any folder (issue 32: it was `bonsai: command not found`). Here
// the link goes to a temporary npm prefix, and the command runs with a clean PATH: that bin folder,
// node's own folder (a terminal that can run npm has it) and /usr/bin:/bin, nothing of the project.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedModel } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { repoRoot } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
let api: TestApi;
let roots: string;
let prefix: string;
let command: string;

/** The environment without npm's own settings (npm run and npx pass theirs on to children). */
function withoutNpmConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

beforeAll(async () => {
  roots = tempDir('bonsai-roots-');
  cpSync(sharedModel, join(roots, 'tiny-llama-kjv'), { recursive: true });
  api = await startTestApi({ modelRoots: [roots] });
  await api.register(join(roots, 'tiny-llama-kjv'), 'bible/tiny-llama-kjv');
  // No worker: the card of a queued model already prints its recipe's command.
  const spawned = await api.gql<{ spawnPrunedVariant: { model: { card: { markdown: string } } } }>(
    `mutation { spawnPrunedVariant(parent: "bible/tiny-llama-kjv", recipe: { mlpWidth: { pruningFraction: 0.4 } }) {
      model { card { markdown } } } }`,
  );
  expect(spawned.errors).toBeUndefined();
  command = /## How to reproduce\n\n```sh\n(.+)\n```/.exec(spawned.data!.spawnPrunedVariant.model.card.markdown)![1]!;

  // The README's install step, for real, into a prefix of the test's own.
  prefix = tempDir('bonsai-npm-prefix-');
  await run('npm', ['link', '--ignore-scripts'], {
    cwd: repoRoot,
    env: { ...withoutNpmConfig(process.env), NPM_CONFIG_PREFIX: prefix },
    timeout: 120_000,
  });
}, 180_000);
afterAll(async () => {
  await api?.close();
});

/** A new terminal: a fresh folder, a clean PATH, the registry's settings and nothing else. */
function newTerminal(path: string) {
  const cwd = tempDir('bonsai-new-terminal-');
  const env = {
    PATH: path,
    HOME: cwd,
    DATABASE_URL: api.db.url,
    BONSAI_ARTIFACTS_DIR: api.registry.store.root,
    BONSAI_MODEL_ROOTS: roots,
    XDG_STATE_HOME: join(cwd, '.state'),
  };
  return { cwd, run: () => run('bash', ['-c', command], { cwd, env, timeout: 120_000 }) };
}

const systemPath = `${dirname(process.execPath)}:/usr/bin:/bin`;

describe('the install puts bonsai on the PATH', () => {
  it('the card’s reproduce command runs as printed after `npm link --ignore-scripts`', async () => {
    expect(command).toMatch(/^bonsai prune bible\/tiny-llama-kjv tiny-llama-kjv-\S+ --method mlp-width /);
    const terminal = newTerminal(`${join(prefix, 'bin')}:${systemPath}`);
    await terminal.run();
    const out = join(terminal.cwd, command.split(' ')[3]!);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { intermediate_size: number };
    // 40 % of the 512 neurons go: the engine keeps ceil(0.6 × 512) = 308 (test/cli/demo.test.ts).
    expect(config.intermediate_size).toBe(308);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
  }, 180_000);

  it('and without that step the same terminal has no bonsai (what the issue saw)', async () => {
    await expect(newTerminal(systemPath).run()).rejects.toMatchObject({ code: 127 });
  });
});
