// Longest test files first, so two workers end together instead of one finishing a long file
// alone at the end (longest-processing-time-first scheduling). Vitest's own sequencer orders by
// the durations it cached from the last run and, on a clean clone (CI) where there is no cache, by
// file size, which puts a short file of many small tests before a short file that starts a whole
// demo. So a file without a cached duration takes its weight from the table below: seconds per
// file in a full run on a 2-core machine (6 Dec 2026; only the order matters), every file over
// 1.5 s: with only the files over 20 s listed, a 10 s file could start last and run alone while
// the other worker had nothing left (the run's last 20 s). A file missing here only starts later
// than it could.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const KNOWN_SECONDS: Record<string, number> = {
  'test/cli/demo.test.ts': 64,
  'test/workers/crash.test.ts': 35,
  'test/vocab/trim.test.ts': 31,
  'test/e2e/catalog.test.ts': 27,
  'test/onnx/export.test.ts': 25,
  'test/cli/reproduce.test.ts': 25,
  'test/pruning/reconstruction.test.ts': 23,
  'test/pruning/attention.test.ts': 22,
  'test/cli/prune.test.ts': 21,
  'test/eval/tasks.test.ts': 19,
  'test/vocab/encoders.test.ts': 19,
  'test/vocab/tokenizers.test.ts': 19,
  'test/e2e/modelPage.test.ts': 15,
  'test/cli/serve.test.ts': 15,
  'test/workers/stuckProcess.test.ts': 14,
  'test/pruning/methodBytes.test.ts': 13,
  'test/vocab/minimal.test.ts': 13,
  'test/pruning/sequential.test.ts': 12,
  'test/pruning/engine.test.ts': 12,
  'test/workers/heartbeat.test.ts': 11,
  'test/security/surface.test.ts': 10,
  'test/workers/pipeline.test.ts': 9,
  'test/storage/piecesWriter.test.ts': 8,
  'test/workers/restart.test.ts': 8,
  'test/security/properties.test.ts': 7,
  'test/pruning/hidden.test.ts': 7,
  'test/security/files.test.ts': 7,
  'test/storage/writePieces.test.ts': 6,
  'test/storage/store.test.ts': 6,
  'test/pruning/heldOut.test.ts': 6,
  'test/storage/crash.test.ts': 6,
  'test/pruning/owl.test.ts': 6,
  'test/workers/encoderPipeline.test.ts': 6,
  'test/workers/jobFailures.test.ts': 6,
  'test/security/tokenizers.test.ts': 6,
  'test/security/postgres.test.ts': 5,
  'test/registry/revisions.test.ts': 4,
  'test/vocab/pairRanks.test.ts': 4,
  'test/arch/params.test.ts': 4,
  'test/security/folders.test.ts': 4,
  'test/workers/remoteWorker.test.ts': 4,
  'test/cli/pull.test.ts': 4,
  'test/pruning/standIn.test.ts': 4,
  'test/security/storage.test.ts': 3,
  'test/security/races.test.ts': 3,
  'test/cli/demoServer.test.ts': 3,
  'test/graphql/hubWrite.test.ts': 3,
  'test/cli/push.test.ts': 3,
  'test/graphql/hub.test.ts': 3,
  'test/eval/calibrate.test.ts': 2,
  'test/security/http.test.ts': 2,
  'test/storage/attack-joined.test.ts': 2,
  'test/security/dataRace.test.ts': 2,
  'test/cli/token.test.ts': 2,
  'test/registry/jobs.test.ts': 2,
  'test/storage/receivePieces.test.ts': 2,
  'test/security/jobs.test.ts': 2,
  'test/onnx/encoder.test.ts': 2,
  'test/cli/bundle.test.ts': 2,
  'test/vocab/countCache.test.ts': 2,
  'test/graphql/register-files.test.ts': 2,
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
