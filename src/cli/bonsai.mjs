#!/usr/bin/env node
// The `bonsai` executable: our TypeScript runs from a bundle that src/bundle.mjs builds (and
// rebuilds when a source changes) on the first start, or through tsx's loader where no bundle can
// be built, so there is no build step between a checkout and a working command.
import { bundledEntry } from '../bundle.mjs';

let main;
try {
  main = await bundledEntry('src/cli/main.ts', 'cli');
} catch {
  const { register } = await import('tsx/esm/api');
  register();
  main = './main.ts';
}
await import(main);
