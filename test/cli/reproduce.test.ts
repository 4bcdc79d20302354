// The card's "How to reproduce" is a promise: copied from Model.card.markdown and run verbatim by
// a shell in a new, empty folder (with `bonsai` on the PATH, as an installed CLI is), it writes the
// same files, byte for byte, as the worker that made the registry's model — for each method.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipeInput } from '../../src/recipes/fields.js';
import { buildCheckpoint, sharedDir } from '../fixtures/checkpoints.js';
import { startTestApi, type TestApi } from '../helpers/api.js';
import { repoRoot } from '../helpers/bonsai.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/waitFor.js';

const run = promisify(execFile);
let api: TestApi;
let roots: string;
let bin: string;
const PARENT = 'acme/tiny-llama';

beforeAll(async () => {
  roots = tempDir('bonsai-roots-');
  // A generated Llama (hidden 32, with the shared model's tokenizer) rather than the shared model:
  // the promise is that two paths write the same bytes, whatever the weights, and each of the
  // fourteen processes (seven jobs, seven commands) reads, calibrates and hashes a quarter of the
  // bytes (4.3 MB against 17.6). Six layers, as the shared model has, so OWL's per-layer list reaches layer 5.
  await buildCheckpoint('llama', join(roots, 'tiny-llama'), { config: { num_hidden_layers: 6 } });
  mkdirSync(join(roots, 'data'));
  cpSync(join(sharedDir, 'data', 'kjv-val.txt'), join(roots, 'data', 'kjv-val.txt'));
  api = await startTestApi({ modelRoots: [roots] });
  await api.startRunner([roots]);
  await api.register(join(roots, 'tiny-llama'), PARENT);
  // An installed `bonsai` on the PATH, as `npm install -g` or `npm link` would put it.
  bin = tempDir('bonsai-bin-');
  writeFileSync(join(bin, 'bonsai'), `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'src', 'cli', 'bonsai.mjs')}" "$@"\n`);
  chmodSync(join(bin, 'bonsai'), 0o755);
}, 120_000);
afterAll(async () => {
  await api.close();
});

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

const RECIPES: Array<[string, Record<string, unknown>]> = [
  ['width', { method: 'mlp-width', pruningFraction: 0.4 }],
  ['depth by block influence', { method: 'depth', criterion: 'block-influence', count: 1, calibration: 'DATA', samples: 256 }],
  ['Wanda 2:4', { method: 'sparsity', criterion: 'wanda', pattern: '2:4', calibration: 'DATA', samples: 256 }],
  ['Wanda 50 % with OWL', { method: 'sparsity', criterion: 'wanda', sparsity: 0.5, allocation: 'owl', calibration: 'DATA', samples: 256 }],
  ['vocabulary', { method: 'vocab', corpus: ['DATA'] }],
  [
    'attention heads by activation',
    { method: 'attention', unit: 'query-group', criterion: 'activation', pruningFraction: 0.5, calibration: 'DATA', samples: 256 },
  ],
  ['hidden channels by activation', { method: 'hidden', criterion: 'activation', pruningFraction: 0.2, calibration: 'DATA', samples: 256 }],
];

/** Each recipe with its data file filled in. */
const recipeOf = (template: Record<string, unknown>) =>
  JSON.parse(JSON.stringify(template).replaceAll('"DATA"', JSON.stringify(join(roots, 'data', 'kjv-val.txt'))));

/**
 * The seven spawns, asked for at once before the first test: the worker runs their jobs one after
 * another while the tests before run their commands, instead of each test waiting for its own job
 * and then for its command (the file waited on one or the other for most of its 25 s).
 */
let spawns: Map<string, Promise<string>>;
beforeAll(() => {
  spawns = new Map(
    RECIPES.map(([label, template]) => [
      label,
      api
        .gql<{ spawnPrunedVariant: { model: { name: string } } }>(
          'mutation($p: String!, $r: PruningRecipeInput!) { spawnPrunedVariant(parent: $p, recipe: $r) { model { name } } }',
          { p: PARENT, r: recipeInput(recipeOf(template)) },
        )
        .then((r) => {
          if (r.errors) throw new Error(`spawning ${label}: ${JSON.stringify(r.errors)}`);
          return r.data!.spawnPrunedVariant.model.name;
        }),
    ]),
  );
  // A refused spawn fails its own test, not the run as an unhandled rejection first.
  for (const p of spawns.values()) p.catch(() => {});
});

describe('the card’s reproduce command', () => {
  it.each(RECIPES)(
    '%s: run verbatim from Model.card.markdown, gives the registry’s bytes',
    async (label, template) => {
      const recipe = recipeOf(template);
      const name = await spawns.get(label)!;
      // Polled by status alone: the card is rendered from the database on every read, and rendering
      // it on each poll while the job ran cost more CPU than the wait. Files and card once, when READY.
      await waitFor(
        `${name} READY`,
        async () => {
          const r = await api.gql<{ model: { status: string } }>('query($n: String!) { model(name: $n) { status } }', { n: name });
          const { status } = r.data!.model;
          if (status === 'FAILED') throw new Error(`${name} failed`);
          return status === 'READY' ? status : undefined;
        },
        120_000,
      );
      const read = await api.gql<{
        model: { status: string; files: Array<{ path: string; sha256: string }>; card: { markdown: string } };
      }>('query($n: String!) { model(name: $n) { status files { path sha256 } card { markdown } } }', { n: name });
      const model = read.data!.model;
      expect(model.status).toBe('READY');
      if (recipe.pattern === '2:4') {
        // 2:4 zeroes exactly half of the projections; the card says so instead of "+0.00 %".
        expect(model.card.markdown).toContain('(50.00 % sparse)');
        expect(model.card.markdown).toMatch(/\| Non-zero projection weights \| [\d,]+ of [\d,]+ \|/);
      }
      if (recipe.allocation === 'owl') {
        // OWL's child is named for it and its card lists every layer's sparsity (the reproduce
        // command below asks for OWL again, not for the sparsities it chose).
        expect(name).toMatch(/-sparse50-wanda-owl$/);
        expect(model.card.markdown).toMatch(/per layer by OWL .*: layer 0 \d+\.\d\d %, .*layer 5 \d+\.\d\d %/);
      }
      if (recipe.method === 'hidden') {
        // Named for its size and criterion; the card warns that the normalisation changed.
        expect(name).toMatch(/-hidden20-activation$/);
        expect(model.card.markdown).toContain('RMSNorm now averages over fewer channels');
      }
      // The parent link is the Hub's relative model URL, which Bonsai's server answers too.
      expect(model.card.markdown).toContain(`[${PARENT}](../${PARENT})`);
      // Data files are named under their import root, never by a server path (issue 26, item 6).
      expect(model.card.markdown).not.toContain(roots);
      const link = await fetch(new URL(`../${PARENT}`, `${api.server.url}/${name}`), { redirect: 'manual' });
      expect(link.status).toBe(302);
      expect(link.headers.get('location')).toBe(`/#/model/${PARENT}`);
      const command = /## How to reproduce\n\n```sh\n(.+)\n```/.exec(model.card.markdown)?.[1];
      expect(command).toMatch(new RegExp(`^bonsai prune ${PARENT} `));

      const cwd = tempDir('bonsai-fresh-shell-');
      await run('bash', ['-c', command!], {
        cwd,
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          HOME: cwd,
          DATABASE_URL: api.db.url,
          BONSAI_ARTIFACTS_DIR: api.registry.store.root,
          BONSAI_MODEL_ROOTS: roots,
        },
        timeout: 120_000,
      });
      const out = join(cwd, name.split('/')[1]!);
      const written = Object.fromEntries(readdirSync(out).map((f) => [f, sha256(join(out, f))]));
      const stored = Object.fromEntries(model.files.map((f) => [f.path, f.sha256]));
      expect(written['model.safetensors']).toBe(stored['model.safetensors']);
      expect(written).toEqual(stored);
    },
    240_000,
  );
});
