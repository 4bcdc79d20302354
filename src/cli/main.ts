#!/usr/bin/env node
// The `bonsai` command line. Each command lives in its own module, loaded only when run, so
// `bonsai inspect` does not pay for the server's imports.
import { Command, InvalidArgumentError } from 'commander';
import { BonsaiError } from '../errors.js';
import { addRecipeOptions, type RecipeFlags } from './recipeOptions.js';

const program = new Command('bonsai').description('Bonsai: a registry and workshop for compressed language models').showHelpAfterError();

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

program
  .command('serve')
  .description('apply migrations, then serve the GraphQL API, the catalog and one worker')
  .option('--no-worker', 'serve without the in-process worker')
  .action(async (opts: { worker: boolean }) => {
    const { serve } = await import('./serve.js');
    await serve({ worker: opts.worker });
  });

program
  .command('worker')
  .description('run job workers against the same database and artifact store')
  .option('--concurrency <n>', 'jobs run at the same time', positiveInt('--concurrency'))
  .action(async (opts: { concurrency?: number }) => {
    const { worker } = await import('./worker.js');
    await worker(opts);
  });

program
  .command('inspect')
  .description('architecture, parameters by component, dtype, size and weight memory of a checkpoint folder')
  .argument('<dir>', 'Hugging Face checkpoint folder')
  .option('--json', 'machine-readable output')
  .action(async (dir: string, opts: { json?: boolean }) => {
    const { inspect } = await import('./inspect.js');
    await inspect(dir, opts);
  });

addRecipeOptions(
  program
    .command('prune')
    .description('write a pruned copy of a checkpoint folder (width, depth or sparsity)')
    .argument('<in>', 'parent checkpoint folder')
    .argument('<out>', 'new folder for the result (must not exist)')
    .option('--max-shard-size <bytes>', 'shard the weights above this many bytes (default 5 GiB)'),
).action(async (input: string, output: string, opts: RecipeFlags & { maxShardSize?: string }) => {
  const { pruneCommand } = await import('./prune.js');
  await pruneCommand(input, output, opts);
});

addRecipeOptions(
  program
    .command('plan')
    .description('show what a pruning recipe will produce, without touching any weight')
    .argument('<in>', 'parent checkpoint folder')
    .option('--json', 'machine-readable output'),
).action(async (input: string, opts: RecipeFlags & { json?: boolean }) => {
  const { plan } = await import('./prune.js');
  await plan(input, opts);
});

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const { migrate } = await import('./migrate.js');
    await migrate();
  });

program
  .command('db:diff')
  .description('write a new migration from the changes in prisma/schema.prisma (development)')
  .argument('<name>', 'migration name, e.g. add_job_stage')
  .action(async (name: string) => {
    const { dbDiff } = await import('./dbDiff.js');
    await dbDiff(name);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof BonsaiError) {
    process.stderr.write(`bonsai: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
