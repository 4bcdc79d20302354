// One job in its own process (`node --import tsx workers/main.ts JOB_ID`), started by the runner:
// CPU-heavy work never blocks the server's event loop, a crash takes down only this process, and
// cancellation can always end it. Exit codes are in failures.ts.
import { rm } from 'node:fs/promises';
import { loadConfig } from '../src/config.js';
import { createPrismaClient } from '../src/db/client.js';
import { coerceError } from '../src/errors.js';
import { createLogger } from '../src/log.js';
import type { RegistryDeps } from '../src/registry/deps.js';
import { payloadSchemas } from '../src/registry/payloads.js';
import { JobQueue } from '../src/registry/queue.js';
import { ArtifactStore } from '../src/storage/store.js';
import { runEvaluate } from './evaluate.js';
import { runExportOnnx } from './exportOnnx.js';
import { EXIT, isPermanent } from './failures.js';
import { JobReporter } from './progress.js';
import { runPrune } from './prune.js';
import type { JobContext } from './types.js';

const jobId = process.argv[2];
if (!jobId) {
  process.stderr.write('usage: workers/main.ts JOB_ID\n');
  process.exit(2);
}
const config = loadConfig();
const prisma = createPrismaClient(config.databaseUrl!, { poolSize: 3 });
const job = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
const log = createLogger(config.logLevel, `job ${jobId.slice(0, 8)} ${job.kind.toLowerCase()} #${job.attempts}`);
const deps: RegistryDeps = {
  prisma,
  store: new ArtifactStore(config.artifactsDir),
  queue: JobQueue.sender(config.databaseUrl!),
  modelRoots: config.modelRoots,
  log,
};
const reporter = new JobReporter(prisma, jobId, log, config.databaseUrl);
const abort = new AbortController();
let cancelled = false;
process.on('SIGTERM', () => {
  cancelled = true;
  abort.abort(new Error('cancelled'));
});
// The runner holds the other end of the IPC channel: when it dies (even by SIGKILL), stop.
process.on('disconnect', () => process.exit(EXIT.retryable));

const tmp = await deps.store.tempDir(`job-${jobId}`);
const ctx: JobContext = { deps, job, reporter, signal: abort.signal, tmp, threads: config.threads };
let code: number = EXIT.ok;
try {
  payloadSchemas[job.kind].parse(job.payload);
  if (job.kind === 'PRUNE') await runPrune(ctx);
  else if (job.kind === 'EVALUATE') await runEvaluate(ctx);
  else if (job.kind === 'EXPORT_ONNX') await runExportOnnx(ctx);
  else throw new Error(`no handler for ${job.kind} jobs`);
  reporter.update('done', 1);
} catch (thrown) {
  const err = coerceError(thrown);
  code = cancelled ? EXIT.cancelled : isPermanent(err) ? EXIT.permanent : EXIT.retryable;
  reporter.note(cancelled ? 'cancelled' : `failed: ${err.message}`);
  await prisma.job.update({ where: { id: jobId }, data: { error: cancelled ? 'cancelled by request' : err.message } }).catch(() => {});
  if (!cancelled && code === EXIT.retryable) log.error(err.stack ?? err.message);
} finally {
  await rm(tmp, { recursive: true, force: true });
  await reporter.close();
  await prisma.$disconnect();
}
process.exit(code);
