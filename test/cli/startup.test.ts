// What every `bonsai` command loads before its own module: src/cli/main.ts's static imports (the
// commands themselves are imported when run). They parse flags and print help, so they must not
// reach the pruning methods' implementations and what those load: onnxruntime's native addon,
// the tokenizer library, protobuf, the database clients. pruning/recipe.ts once re-exported two
// names of src/pruning/methods/index.ts, and `bonsai --help` loaded all of it (0.40 CPU-s a
// command against 0.24 without, 2-core VM, 2026-12-07). Read from esbuild's own module graph.
import { build } from 'esbuild';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/bonsai.js';

const HEAVY = ['onnxruntime-node', '@huggingface/tokenizers', 'onnx-proto', 'protobufjs', '@prisma/client', 'pg', 'pg-boss', 'graphql'];

it('src/cli/main.ts statically reaches no method implementation, native addon, tokenizer library or database client', async () => {
  const { metafile } = await build({
    entryPoints: ['src/cli/main.ts'],
    absWorkingDir: repoRoot,
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    outdir: 'out',
    logLevel: 'silent',
  });
  // Static imports only: a command's `await import()` is what it loads when it runs.
  const reached = new Set<string>();
  const packages = new Set<string>();
  const stack = ['src/cli/main.ts'];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (reached.has(file)) continue;
    reached.add(file);
    for (const i of metafile.inputs[file]?.imports ?? []) {
      if (i.kind !== 'import-statement') continue;
      if (i.external) packages.add(i.path);
      else stack.push(i.path);
    }
  }
  // The graph is read for real: the flags' own modules are in it.
  expect(reached).toContain('src/recipes/fields.ts');
  expect(packages).toContain('commander');
  expect(
    [...reached].filter((f) => f.startsWith('src/pruning/methods/') || f.startsWith('src/onnx/') || f.startsWith('src/calibration/')),
  ).toEqual([]);
  // By package, so a subpath import (`@prisma/client/runtime/…`) counts as its package.
  expect([...packages].filter((p) => HEAVY.some((h) => p === h || p.startsWith(`${h}/`)))).toEqual([]);
});
