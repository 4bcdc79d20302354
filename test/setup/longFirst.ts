// Longest test files first, so the workers end together instead of one finishing a long file
// alone at the end (longest-processing-time-first scheduling). Vitest's own sequencer orders by
// the durations it cached from the last run and, on a clean clone (CI) where there is no cache, by
// file size, which puts a short file of many small tests before a short file that starts a whole
// demo. So a file without a cached duration takes its weight from the table below: seconds per
// file in a full run on a quiet 2-core machine (6 Dec 2026 08:34; only the order matters), every file over
// 1.5 s: with only the files over 20 s listed, a 10 s file could start last and run alone while
// the other workers had nothing left (the run's last 20 s). A file missing here only starts later
// than it could.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const KNOWN_SECONDS: Record<string, number> = {
  'test/cli/demo.test.ts': 47,
  'test/workers/crash.test.ts': 42,
  'test/e2e/catalog.test.ts': 32,
  'test/vocab/trim.test.ts': 28,
  'test/e2e/modelPage.test.ts': 24,
  'test/cli/reproduce.test.ts': 23,
  'test/pruning/reconstruction.test.ts': 22,
  'test/vocab/encoders.test.ts': 19,
  'test/eval/tasks.test.ts': 18,
  'test/pruning/methodBytes.test.ts': 16,
  'test/workers/stuckProcess.test.ts': 16,
  'test/onnx/export.test.ts': 15,
  'test/cli/prune.test.ts': 15,
  'test/cli/pull.test.ts': 15,
  'test/vocab/tokenizers.test.ts': 14,
  'test/workers/pipeline.test.ts': 13,
  'test/security/surface.test.ts': 13,
  'test/vocab/minimal.test.ts': 12,
  'test/workers/heartbeat.test.ts': 11,
  'test/cli/serve.test.ts': 11,
  'test/storage/piecesWriter.test.ts': 11,
  'test/workers/restart.test.ts': 11,
  'test/pruning/sequential.test.ts': 10,
  'test/security/noServerPaths.test.ts': 9,
  'test/pruning/engine.test.ts': 9,
  'test/workers/encoderPipeline.test.ts': 8,
  'test/security/properties.test.ts': 8,
  'test/security/files.test.ts': 8,
  'test/pruning/heldOut.test.ts': 7,
  'test/workers/jobFailures.test.ts': 7,
  'test/storage/writePieces.test.ts': 7,
  'test/graphql/tensors.test.ts': 7,
  'test/workers/remoteWorker.test.ts': 7,
  'test/security/tokenizers.test.ts': 6,
  'test/pruning/owl.test.ts': 6,
  'test/storage/store.test.ts': 6,
  'test/registry/revisions.test.ts': 6,
  'test/security/races.test.ts': 5,
  'test/pruning/attention.test.ts': 5,
  'test/vocab/pairRanks.test.ts': 5,
  'test/storage/crash.test.ts': 4,
  'test/graphql/hub.test.ts': 4,
  'test/security/folders.test.ts': 4,
  'test/security/bounds.test.ts': 4,
  'test/graphql/hubWrite.test.ts': 4,
  'test/pruning/hidden.test.ts': 4,
  'test/security/http.test.ts': 4,
  'test/cli/demoServer.test.ts': 4,
  'test/vocab/wordChunks.test.ts': 4,
  'test/security/postgres.test.ts': 4,
  'test/pruning/standIn.test.ts': 4,
  'test/cli/install.test.ts': 4,
  'test/cli/push.test.ts': 3,
  'test/eval/calibrate.test.ts': 3,
  'test/security/jobs.test.ts': 3,
  'test/security/dataRace.test.ts': 3,
  'test/security/storage.test.ts': 3,
  'test/graphql/transformersjs.test.ts': 3,
  'test/security/graphql-inputs.test.ts': 3,
  'test/cli/bundle.test.ts': 3,
  'test/vocab/countCache.test.ts': 3,
  'test/registry/jobs.test.ts': 3,
  'test/storage/stats.test.ts': 3,
  'test/onnx/encoder.test.ts': 2,
  'test/storage/attack-joined.test.ts': 2,
  'test/cli/token.test.ts': 2,
  'test/storage/receivePieces.test.ts': 2,
  'test/graphql/register-files.test.ts': 2,
  'test/eval/perplexityBatch.test.ts': 2,
  'test/arch/params.test.ts': 2,
  'test/graphql/authorCard.test.ts': 2,
  'test/graphql/registry.test.ts': 2,
  'test/db/migrations.test.ts': 2,
  'test/graphql/recipe.test.ts': 2,
};

export default class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const ms = (f: TestSpecification) => {
      const path = relative(root, f.moduleId);
      return this.ctx.cache.getFileTestResults(`${f.project.name}:${path}`)?.duration ?? (KNOWN_SECONDS[path] ?? 0) * 1000;
    };
    return [...files].sort((a, b) => ms(b) - ms(a));
  }
}
