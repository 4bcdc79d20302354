#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
// The `bonsai` command line. Each command lives in its own module, loaded only when run, so
// `bonsai inspect` does not pay for the server's imports.
import { HARDWARE_LIMITS } from '../cards/limits.js';
import { BonsaiError } from '../errors.js';
import { decimalNumber, RECIPE_METHODS } from '../recipes/fields.js';
import { EVAL_CONTEXT_LENGTH } from '../registry/payloads.js';
import { version } from '../version.js';
import { addRecipeOptions, type RecipeFlags } from './recipeOptions.js';

const program = new Command('bonsai')
  .description('Bonsai: a registry and workshop for compressed language models')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError();

/** An integer flag within [lo, hi], named in the error as the API names its field. */
export function boundedInt(name: string, [lo, hi]: readonly [number, number]) {
  return (value: string): number => {
    const n = decimalNumber(value) ?? Number.NaN;
    if (!Number.isInteger(n) || n < lo || n > hi)
      throw new InvalidArgumentError(`${name} must be an integer from ${lo.toLocaleString('en-US')} to ${hi.toLocaleString('en-US')}`);
    return n;
  };
}

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = decimalNumber(value) ?? Number.NaN;
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
  .command('demo')
  .description('serve, register the shared model, spawn the seed recipes through the API and print their table')
  .option('--quick', 'fewer calibration and evaluation tokens (what the test runs)')
  .option('--exit', 'stop once the table is printed instead of leaving the catalog running')
  .option('--shared <dir>', 'the shared assets folder (models/tiny-llama-kjv, data/); default ../shared')
  .action(async (opts: import('./demo.js').DemoFlags) => {
    const { demo } = await import('./demo.js');
    await demo(opts);
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
  .command('register')
  .description('register a checkpoint folder, or hf://ORG/NAME[@REVISION] from the Hugging Face cache, in the registry')
  .argument('<path>', 'a folder under BONSAI_MODEL_ROOTS, or hf://ORG/NAME[@REVISION] (HF_HOME under a root; offline)')
  .requiredOption('--name <owner/name>', 'the name in the registry')
  .option('--license <id>', 'SPDX id or Hub license name, e.g. apache-2.0')
  .option('--description <text>', 'one line about the model')
  .option('--tag <tag>', 'a tag (repeat for several)', (v: string, prev: string[] = []) => [...prev, v])
  .action(async (path: string, opts: import('./register.js').RegisterFlags) => {
    const { registerCommand } = await import('./register.js');
    await registerCommand(path, opts);
  });

program
  .command('inspect')
  .description('architecture, parameters by component, dtype, size and weight memory of a checkpoint folder')
  .argument('<dir>', 'Hugging Face checkpoint folder')
  .option('--json', 'machine-readable output')
  .option('--sparsity', 'count the zeros in the projection matrices (always for a folder Bonsai sparsified)')
  .action(async (dir: string, opts: { json?: boolean; sparsity?: boolean }) => {
    const { inspect } = await import('./inspect.js');
    await inspect(dir, opts);
  });

addRecipeOptions(
  program
    .command('prune')
    .description(`write a pruned copy of a checkpoint folder (any method: ${RECIPE_METHODS.map((m) => m.method).join(', ')})`)
    .argument('<in>', 'parent checkpoint folder, or a registry name OWNER/NAME')
    .argument('<out>', 'new folder for the result (must not exist)')
    .option('--max-shard-size <bytes>', 'shard the weights above this many bytes (default 5,368,709,120 = 5 × 2³⁰)'),
).action(async (input: string, output: string, opts: RecipeFlags & { maxShardSize?: string }) => {
  const { pruneCommand } = await import('./prune.js');
  await pruneCommand(input, output, opts);
});

addRecipeOptions(
  program
    .command('plan')
    .description('show what a pruning recipe will produce, without touching any weight')
    .argument('<in>', 'parent checkpoint folder, or a registry name OWNER/NAME')
    .option('--json', 'machine-readable output'),
).action(async (input: string, opts: RecipeFlags & { json?: boolean }) => {
  const { plan } = await import('./prune.js');
  await plan(input, opts);
});

program
  .command('eval')
  .description('evaluate a checkpoint folder on onnxruntime: perplexity, lambada, multiple-choice, speed or embedding-similarity')
  .argument('<dir>', 'Hugging Face checkpoint folder')
  .requiredOption('--task <task>', 'perplexity | lambada | multiple-choice | speed | embedding-similarity')
  .option(
    '--data <file>',
    'text file (perplexity, embedding-similarity: one sentence per line) or JSONL (lambada: text; multiple-choice: context, choices, label)',
  )
  .option('--parent <dir>', 'embedding-similarity: the parent checkpoint folder to compare with')
  .option(
    '--context-length <n>',
    'tokens per window (perplexity, speed; default 256; 8 to 131,072)',
    boundedInt('--context-length', EVAL_CONTEXT_LENGTH),
  )
  .option('--stride <n>', 'perplexity: tokens between window starts (default: the context length)', positiveInt('--stride'))
  .option('--limit <n>', 'score at most N tokens (perplexity), N records or N lines (embedding-similarity)', positiveInt('--limit'))
  .option('--json', 'machine-readable output')
  .option(
    '--output <file>',
    'keep the results in this file (default: Bonsai’s data folder, where `bonsai card DIR` finds them); never in DIR',
  )
  .action(async (dir: string, opts: import('./eval.js').EvalFlags) => {
    const { evalCommand } = await import('./eval.js');
    await evalCommand(dir, opts);
  });

program
  .command('export-onnx')
  .description('write the ONNX graph (FP32, weights as external data) of a checkpoint folder')
  .argument('<dir>', 'Hugging Face checkpoint folder')
  .argument('<out>', 'output folder')
  .option('--activations', 'also output block inputs/outputs and down_proj inputs')
  .option('--fused', "onnxruntime's fused CPU operators (com.microsoft domain; faster, onnxruntime only) instead of plain ONNX")
  .action(async (dir: string, out: string, opts: { activations?: boolean; fused?: boolean }) => {
    const { exportOnnxCommand } = await import('./eval.js');
    await exportOnnxCommand(dir, out, opts);
  });

program
  .command('card')
  .description('print the model card (README.md) of a local checkpoint folder')
  .argument('<dir>', 'Hugging Face checkpoint folder')
  .option('--name <owner/name>', 'the name to show (default local/<folder>)')
  .option('--base-model <name>', 'the parent’s name, for a folder made by `bonsai prune`')
  .option(
    '--context-length <n>',
    'context for the hardware table (1 to 1,048,576)',
    boundedInt('--context-length', HARDWARE_LIMITS.contextLength),
  )
  .option('--json', 'print the front matter as JSON instead')
  .option('--eval-results <file>', 'evaluation results written by `bonsai eval --output` (default: what `bonsai eval DIR` kept)')
  .action(
    async (dir: string, opts: { name?: string; baseModel?: string; contextLength?: number; json?: boolean; evalResults?: string }) => {
      const { card } = await import('./card.js');
      await card(dir, opts);
    },
  );

program
  .command('export')
  .description('write a registry model to a folder, with its model card as README.md')
  .argument('<name>', 'owner/name')
  .argument('<out>', 'new folder')
  .action(async (name: string, out: string) => {
    const { exportModel } = await import('./card.js');
    await exportModel(name, out);
  });

program
  .command('pull')
  .description('download every file of a model from a remote Bonsai (BONSAI_URL, BONSAI_TOKEN) over the Hub protocol; resumes')
  .argument('<ref>', 'OWNER/NAME, or OWNER/NAME@REV with a branch or commit id')
  .argument('<dir>', 'the folder to fill (created if missing; files already there with the right hash are kept)')
  .option('--json', 'machine-readable output: the commit and each file’s outcome')
  .action(async (ref: string, dir: string, opts: { json?: boolean }) => {
    const { pullCommand } = await import('./pull.js');
    await pullCommand(ref, dir, opts);
  });

program
  .command('push')
  .description(
    'upload a checkpoint folder to a remote Bonsai (BONSAI_URL, BONSAI_TOKEN: maintainer) over the Hub protocol as a new revision',
  )
  .argument('<dir>', 'a checkpoint folder (its checkpoint files are pushed; the rest is listed as skipped)')
  .argument('<name>', 'OWNER/NAME on the remote; created when missing')
  .option('-m, --message <text>', 'the revision’s message')
  .action(async (dir: string, name: string, opts: { message?: string }) => {
    const { pushCommand } = await import('./push.js');
    await pushCommand(dir, name, opts);
  });

const token = program.command('token').description('API tokens (stored hashed; the secret is printed once)');
token
  .command('create')
  .description('create a token and print its secret')
  .requiredOption('--role <role>', 'reader, maintainer or admin')
  .option('--name <name>', 'what the token is for', 'cli')
  .option('--expires-in-days <n>', 'expire after this many days', positiveInt('--expires-in-days'))
  .action(async (opts: { role: string; name: string; expiresInDays?: number }) => {
    const { tokenCreate } = await import('./token.js');
    await tokenCreate(opts);
  });
token
  .command('list')
  .description('list tokens (id, prefix, role, state, name)')
  .action(async () => {
    const { tokenList } = await import('./token.js');
    await tokenList();
  });
token
  .command('revoke')
  .description('revoke a token by id')
  .argument('<id>')
  .action(async (id: string) => {
    const { tokenRevoke } = await import('./token.js');
    await tokenRevoke(id);
  });

program
  .command('store')
  .description('the artifact store')
  .command('stats')
  .description("logical bytes (every model's files), physical bytes (each stored object once) and the bytes each model alone holds")
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const { storeStats } = await import('./store.js');
    await storeStats(opts);
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
    // A recipe field found wrong while the job runs (a calibration file too short) is named as
    // the flag the user typed, as the schema's own refusals are (src/cli/recipeOptions.ts).
    const field = typeof err.details.field === 'string' ? /^recipe\.(\w+)$/.exec(err.details.field)?.[1] : undefined;
    const flag = field ? (await import('../recipes/schemaFields.js')).flagOf(field) : undefined;
    const message = flag ? err.message.replace(`recipe.${field}:`, `${flag}:`) : err.message;
    process.stderr.write(`bonsai: ${message}\n`);
    process.exit(2);
  }
  throw err;
}
