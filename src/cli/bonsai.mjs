#!/usr/bin/env node
// The `bonsai` executable: our TypeScript runs from a bundle that src/bundle.mjs builds (and
// rebuilds when a source changes) on the first start, or through tsx's loader where no bundle can
// be built, so there is no build step between a checkout and a working command.
import { setFlagsFromString } from 'node:v8';
import { bundledEntry } from '../bundle.mjs';
import { defineNodeNavigator } from '../nodeNavigator.mjs';

// Before any WebAssembly is compiled, as job processes are started (workers/runner.ts
// JOB_NODE_FLAGS): V8's default budget recompiles Prisma 7's WebAssembly query compiler with
// TurboFan during the first queries, CPU a command or a server never earns back. The budget is
// read when a module is compiled, so setting it here, before Prisma loads, is in time.
setFlagsFromString('--wasm-tiering-budget=20000000');
// Before any command loads pg (src/nodeNavigator.mjs).
defineNodeNavigator();

let main;
try {
  // With its packages inlined, as a job's bundle is: Node resolves and parses each CommonJS
  // package file by file otherwise, about 0.2 of a `bonsai plan`'s 0.5 CPU-s (issue 28).
  main = await bundledEntry('src/cli/main.ts', 'cli', { inline: true });
} catch {
  const { register } = await import('tsx/esm/api');
  register();
  main = './main.ts';
}
await import(main);
