// Bonsai at real sizes, the way a user drives it: random BF16 checkpoints with the exact published
// configurations of Llama-3.2-1B, Qwen3-0.6B and Gemma-2-2B, served by a real `bonsai serve`
// (embedded Postgres, its worker and job processes), and every step through the GraphQL API and
// the CLI: register → plan → width 20 % → depth −2 by block influence (2,048 calibration tokens) →
// Wanda 2:4 → vocabulary trim (Qwen3, to fortunes-es.txt) → perplexity (--limit 4096; Gemma-2-2B
// 512) → card → export. Prints the time and peak RSS of each step (the server's for API steps, the
// job process's for jobs, the CLI's for export), sampled from /proc every 100 ms.
// Checks: Llama-3.2-1B at 20 % has 1,074,792,448 parameters (OptiPFair's figure); every step
// completes; the streaming steps (width, vocabulary) stay within largest tensor × 3 + 500 MB.
//   npm run bench:real            (BENCH_MODELS=qwen3-0.6b,… to choose; BENCH_DIR for the scratch folder)
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recipeInput } from '../src/recipes/fields.js';
import { sharedDir, sharedModel } from '../test/fixtures/checkpoints.js';
import { graphqlClient } from './gql.js';
import { writeRandomCheckpoint } from './randomCheckpoint.js';

const MB = 1024 * 1024;

interface BenchModel {
  key: string;
  name: string;
  /** The model's config.json as published on the Hub. */
  config: Record<string, unknown>;
  tokenizerDir: string;
  parameters: number;
  widthParameters?: number;
  vocabCorpus?: string;
  evalLimit: number;
}

// Published config.json files (meta-llama/Llama-3.2-1B, Qwen/Qwen3-0.6B, google/gemma-2-2b),
// minus fields that only concern training. Tokenizers: Qwen3's own (shared/tokenizers/qwen3);
// the Llama-3 and Gemma-2 tokenizers are not available offline, so those two evaluate with the
// shared model's Llama-2 tokenizer (ids below 32,000: valid rows of both embeddings).
const MODELS: BenchModel[] = [
  {
    key: 'llama-3.2-1b',
    name: 'meta/llama-3.2-1b',
    config: {
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      bos_token_id: 128000,
      eos_token_id: 128001,
      head_dim: 64,
      hidden_act: 'silu',
      hidden_size: 2048,
      intermediate_size: 8192,
      max_position_embeddings: 131072,
      mlp_bias: false,
      model_type: 'llama',
      num_attention_heads: 32,
      num_hidden_layers: 16,
      num_key_value_heads: 8,
      rms_norm_eps: 1e-5,
      rope_scaling: {
        factor: 32.0,
        high_freq_factor: 4.0,
        low_freq_factor: 1.0,
        original_max_position_embeddings: 8192,
        rope_type: 'llama3',
      },
      rope_theta: 500000.0,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      vocab_size: 128256,
    },
    tokenizerDir: sharedModel,
    parameters: 1_235_814_400,
    widthParameters: 1_074_792_448,
    evalLimit: 4096,
  },
  {
    key: 'qwen3-0.6b',
    name: 'qwen/qwen3-0.6b',
    config: {
      architectures: ['Qwen3ForCausalLM'],
      attention_bias: false,
      bos_token_id: 151643,
      eos_token_id: 151645,
      head_dim: 128,
      hidden_act: 'silu',
      hidden_size: 1024,
      intermediate_size: 3072,
      max_position_embeddings: 40960,
      max_window_layers: 28,
      model_type: 'qwen3',
      num_attention_heads: 16,
      num_hidden_layers: 28,
      num_key_value_heads: 8,
      rms_norm_eps: 1e-6,
      rope_scaling: null,
      rope_theta: 1000000,
      sliding_window: null,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      use_sliding_window: false,
      vocab_size: 151936,
    },
    tokenizerDir: join(sharedDir, 'tokenizers', 'qwen3'),
    parameters: 596_049_920,
    vocabCorpus: 'fortunes-es.txt',
    evalLimit: 4096,
  },
  {
    key: 'gemma-2-2b',
    name: 'google/gemma-2-2b',
    config: {
      architectures: ['Gemma2ForCausalLM'],
      attention_bias: false,
      attn_logit_softcapping: 50.0,
      bos_token_id: 2,
      eos_token_id: [1, 107],
      final_logit_softcapping: 30.0,
      head_dim: 256,
      hidden_act: 'gelu_pytorch_tanh',
      hidden_activation: 'gelu_pytorch_tanh',
      hidden_size: 2304,
      intermediate_size: 9216,
      max_position_embeddings: 8192,
      model_type: 'gemma2',
      num_attention_heads: 8,
      num_hidden_layers: 26,
      num_key_value_heads: 4,
      pad_token_id: 0,
      query_pre_attn_scalar: 256,
      rms_norm_eps: 1e-6,
      rope_theta: 10000.0,
      sliding_window: 4096,
      torch_dtype: 'bfloat16',
      vocab_size: 256000,
    },
    tokenizerDir: sharedModel,
    parameters: 2_614_341_888,
    evalLimit: 512,
  },
];

/** Peak resident memory of a process and its descendants, sampled from /proc. */
class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  /** `includeRoots`: the roots' current RSS counts too (their VmHWM is their peak since they started). */
  constructor(
    private readonly root: () => number[],
    private readonly includeRoots = true,
  ) {
    this.timer = setInterval(() => this.sample(), 100);
  }
  private sample(): void {
    for (const pid of descendants(this.root())) this.peak = Math.max(this.peak, statusBytes(pid, 'VmHWM'));
    if (this.includeRoots) for (const pid of this.root()) this.peak = Math.max(this.peak, statusBytes(pid, 'VmRSS'));
  }
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peak;
  }
}

function statusBytes(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The given pids' descendants (not themselves): job processes and CLI children. */
function descendants(roots: number[]): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const out: number[] = [];
  const frontier = [...roots];
  while (frontier.length) {
    const p = frontier.pop()!;
    for (const [c, pp] of parent) {
      if (pp === p) {
        out.push(c);
        frontier.push(c);
      }
    }
  }
  return out;
}

function bonsai(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [join(import.meta.dirname, '..', 'src', 'cli', 'bonsai.mjs'), ...args], {
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function output(p: ChildProcess): Promise<string> {
  let out = '';
  p.stdout?.on('data', (c: Buffer) => {
    out += c;
  });
  p.stderr?.on('data', (c: Buffer) => {
    out += c;
  });
  const code = await new Promise<number | null>((r) => p.on('exit', r));
  if (code !== 0) throw new Error(`bonsai exited with ${code}:\n${out}`);
  return out;
}

interface Row {
  model: string;
  step: string;
  seconds: number;
  rss: number;
  note: string;
  check?: boolean;
}
const rows: Row[] = [];

async function benchModel(m: BenchModel, base: string): Promise<void> {
  const home = mkdtempSync(join(base, `bonsai-real-${m.key}-`));
  const imports = join(home, 'imports');
  const dir = join(imports, m.key);
  mkdirSync(join(imports, 'data'), { recursive: true });
  for (const f of ['kjv-train.txt', 'kjv-val.txt', 'fortunes-es.txt']) cpSync(join(sharedDir, 'data', f), join(imports, 'data', f));
  let t = performance.now();
  const largest = await writeRandomCheckpoint(dir, m.config, { tokenizerDir: m.tokenizerDir, maxShardBytes: 2 * 1024 ** 3 });
  console.log(
    `${m.name}: wrote a random BF16 checkpoint in ${((performance.now() - t) / 1000).toFixed(1)} s (largest tensor ${(largest / MB).toFixed(0)} MB)`,
  );
  const streamLimit = 3 * largest + 500 * MB;

  // A fresh job process for each job: a step's peak is sampled from its processes' VmHWM, which a
  // process kept from an earlier step would bring with it until its next job resets it.
  const env = {
    BONSAI_HOME: home,
    BONSAI_MODEL_ROOTS: imports,
    PORT: '0',
    BONSAI_WORKER_CONCURRENCY: '1',
    BONSAI_JOB_PROCESS_MAX_JOBS: '1',
  };
  // Info level: the server prints its address; only the last lines are kept (for a failure).
  const server = bonsai(['serve'], { ...env, LOG_LEVEL: 'info' });
  let log = '';
  const keep = (c: Buffer) => {
    log = (log + c).slice(-20_000);
  };
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const u = /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(log)?.[1];
      if (u) {
        clearInterval(timer);
        resolve(u);
      }
      if (server.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(log));
      }
    }, 100);
  });
  const token = (/bonsai_\S+/.exec(await output(bonsai(['token', 'create', '--role', 'maintainer'], env))) ?? [''])[0];

  const gql = graphqlClient(
    () => url,
    () => token,
  );
  /** API steps sample the server; job steps its job processes (the server idles meanwhile). */
  async function step<T>(name: string, work: () => Promise<T>, note: (r: T) => string, limit?: number, asJob = false) {
    const sampler = new RssSampler(() => [server.pid!], !asJob);
    const t0 = performance.now();
    const r = await work();
    const seconds = (performance.now() - t0) / 1000;
    const rss = sampler.stop();
    rows.push({ model: m.name, step: name, seconds, rss, note: note(r), check: limit === undefined ? undefined : rss <= limit });
    console.log(`  ${name.padEnd(26)} ${seconds.toFixed(1).padStart(7)} s  peak RSS ${(rss / MB).toFixed(0).padStart(6)} MB  ${note(r)}`);
    return r;
  }
  const jobs = true;
  async function waitReady(name: string): Promise<{ parameterCount: string }> {
    for (;;) {
      const d = await gql<{ model: { status: string; parameterCount: string; jobs: Array<{ error: string | null }> } }>(
        'query($n: String!) { model(name: $n) { status parameterCount jobs { error } } }',
        { n: name },
      );
      if (d.model.status === 'READY') return d.model;
      if (d.model.status === 'FAILED') throw new Error(`${name} failed: ${d.model.jobs.map((j) => j.error).join('; ')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  async function spawnAndWait(recipe: Record<string, unknown>, child: string) {
    await gql(
      'mutation($p: String!, $r: PruningRecipeInput!, $n: String!) { spawnPrunedVariant(parent: $p, recipe: $r, name: $n) { model { id } } }',
      {
        p: m.name,
        r: recipeInput(recipe),
        n: child,
      },
    );
    return waitReady(child);
  }

  try {
    await step(
      'register',
      () =>
        gql<{ registerModel: { model: { parameterCount: string } } }>(
          'mutation($p: String!, $n: String!) { registerModel(path: $p, name: $n) { model { parameterCount } } }',
          { p: dir, n: m.name },
        ),
      (r) =>
        `${Number(r.registerModel.model.parameterCount).toLocaleString('en-US')} parameters (published: ${m.parameters.toLocaleString('en-US')})`,
    );
    rows.at(-1)!.check = rows.at(-1)!.note.startsWith(`${m.parameters.toLocaleString('en-US')} parameters`);
    const planned = await step(
      'plan width 20 %',
      () =>
        gql<{ pruningPlan: { parametersAfter: string } }>(
          'query($p: String!) { pruningPlan(parent: $p, recipe: { mlpWidth: { pruningFraction: 0.2 } }) { parametersAfter } }',
          { p: m.name },
        ),
      (r) => `${Number(r.pruningPlan.parametersAfter).toLocaleString('en-US')} parameters after`,
    );
    const width = await step(
      'width 20 % (job)',
      () => spawnAndWait({ method: 'mlp-width', pruningFraction: 0.2 }, `${m.name}-width20`),
      (r) =>
        `${Number(r.parameterCount).toLocaleString('en-US')} parameters${m.widthParameters ? ` (OptiPFair: ${m.widthParameters.toLocaleString('en-US')})` : ''}`,
      streamLimit,
      jobs,
    );
    if (m.widthParameters && Number(width.parameterCount) !== m.widthParameters) rows.at(-1)!.check = false;
    if (planned.pruningPlan.parametersAfter !== width.parameterCount) rows.at(-1)!.check = false;
    const data = (f: string) => join(imports, 'data', f);
    await step(
      'depth −2, block influence',
      () =>
        spawnAndWait(
          { method: 'depth', criterion: 'block-influence', count: 2, calibration: data('kjv-train.txt'), samples: 2048 },
          `${m.name}-depth2-bi`,
        ),
      (r) => `${Number(r.parameterCount).toLocaleString('en-US')} parameters (calibration on the FP32 graph included)`,
      undefined,
      jobs,
    );
    await step(
      'Wanda 2:4',
      () =>
        spawnAndWait(
          { method: 'sparsity', criterion: 'wanda', pattern: '2:4', calibration: data('kjv-train.txt'), samples: 2048 },
          `${m.name}-wanda-2of4`,
        ),
      () => '2,048 calibration tokens (calibration included)',
      undefined,
      jobs,
    );
    if (m.vocabCorpus) {
      await step(
        `vocabulary → ${m.vocabCorpus}`,
        () => spawnAndWait({ method: 'vocab', corpus: [data(m.vocabCorpus!)] }, `${m.name}-vocab-es`),
        (r) => `${Number(r.parameterCount).toLocaleString('en-US')} parameters`,
        streamLimit,
        jobs,
      );
    }
    const evaluated = await step(
      `perplexity, ${m.evalLimit} tokens`,
      async () => {
        const d = await gql<{ evaluateModel: Array<{ id: string }> }>(
          'mutation($m: String!, $t: [EvaluationTaskInput!]!) { evaluateModel(model: $m, tasks: $t) { id } }',
          {
            m: m.name,
            t: [{ task: 'perplexity', data: data('kjv-val.txt'), limit: m.evalLimit }],
          },
        );
        for (;;) {
          const j = await gql<{
            job: { status: string; error: string | null; startedAt: string | null; finishedAt: string | null; logTail: string[] };
          }>('query($id: ID!) { job(id: $id) { status error startedAt finishedAt logTail } }', { id: d.evaluateModel[0]!.id });
          if (j.job.status === 'SUCCEEDED') return j.job;
          if (j.job.status === 'FAILED') throw new Error(`evaluation failed: ${j.job.error}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      },
      () => '',
      undefined,
      jobs,
    );
    const jobSeconds = (Date.parse(evaluated.finishedAt!) - Date.parse(evaluated.startedAt!)) / 1000;
    // The job's log lines are timestamped: scoring runs from "stage: perplexity" to the results line.
    const at = (pattern: RegExp) => Date.parse(evaluated.logTail.find((l) => pattern.test(l))?.split(' ')[0] ?? '');
    const scoring = (at(/perplexity perplexity = /) - at(/stage: perplexity$/)) / 1000;
    rows.at(-1)!.note =
      `${(m.evalLimit / scoring).toFixed(1)} tokens/s while scoring (${scoring.toFixed(1)} s); ` +
      `the job ${jobSeconds.toFixed(0)} s with checkout and graph export`;
    console.log(`    ${rows.at(-1)!.note}`);
    await step(
      'card',
      () =>
        gql<{ model: { card: { markdown: string } } }>('query($n: String!) { model(name: $n) { card { markdown } } }', {
          n: `${m.name}-width20`,
        }),
      (r) => `${r.model.card.markdown.length.toLocaleString('en-US')} characters`,
    );
    const out = join(home, 'exported');
    t = performance.now();
    const exporter = bonsai(['export', `${m.name}-width20`, out], env);
    const sampler = new RssSampler(() => [exporter.pid!]);
    await output(exporter);
    const seconds = (performance.now() - t) / 1000;
    rows.push({ model: m.name, step: 'export (CLI)', seconds, rss: Math.max(sampler.stop(), 0), note: `${readdirSync(out).length} files` });
    console.log(`  ${'export (CLI)'.padEnd(26)} ${seconds.toFixed(1).padStart(7)} s  ${readdirSync(out).join(', ')}`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}

const chosen = (process.env.BENCH_MODELS ?? MODELS.map((m) => m.key).join(',')).split(',');
const base = process.env.BENCH_DIR ?? tmpdir();
if (!existsSync(base)) mkdirSync(base, { recursive: true });
let failed = false;
for (const m of MODELS.filter((x) => chosen.includes(x.key))) {
  try {
    await benchModel(m, base);
  } catch (err) {
    failed = true;
    console.log(`${m.name}: FAILED: ${(err as Error).message}`);
  }
}
console.log('\n| model | step | time | peak RSS | | check |\n|---|---|---:|---:|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.model} | ${r.step} | ${r.seconds.toFixed(1)} s | ${(r.rss / MB).toFixed(0)} MB | ${r.note} | ${r.check === undefined ? '' : r.check ? 'PASS' : 'FAIL'} |`,
  );
}
if (failed || rows.some((r) => r.check === false)) process.exitCode = 1;
