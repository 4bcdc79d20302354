// Longest test files first, so two workers end together instead of one finishing a long file
// alone at the end (longest-processing-time-first scheduling). Vitest's own sequencer orders by
// the durations it cached from the last run and, on a clean clone (CI) where there is no cache, by
// file size, which puts a short file of many small tests before a short file that starts a whole
// demo. So a file without a cached duration takes its weight from the table below: seconds per
// file in a full run on a loaded 2-core machine (05 Dec 2026, before issue 28's speed-ups; only the
// order matters), the files over ~20 s. A file missing here only starts later than it could.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const KNOWN_SECONDS: Record<string, number> = {
  'test/cli/demo.test.ts': 248,
  'test/workers/crash.test.ts': 190,
  'test/vocab/trim.test.ts': 163,
  'test/pruning/reconstruction.test.ts': 150,
  'test/vocab/encoders.test.ts': 136,
  'test/cli/reproduce.test.ts': 127,
  'test/onnx/export.test.ts': 108,
  'test/cli/serve.test.ts': 80,
  'test/vocab/tokenizers.test.ts': 75,
  // Missing here before: on a clean clone it started last. 6 Dec, after the e2e speed-ups, loaded.
  'test/e2e/modelPage.test.ts': 75,
  'test/eval/tasks.test.ts': 67,
  'test/security/noServerPaths.test.ts': 60,
  'test/vocab/minimal.test.ts': 53,
  'test/workers/encoderPipeline.test.ts': 46,
  'test/workers/restart.test.ts': 41,
  'test/e2e/catalog.test.ts': 41,
  'test/pruning/methodBytes.test.ts': 40,
  'test/cli/prune.test.ts': 38,
  'test/security/postgres.test.ts': 30,
  'test/arch/params.test.ts': 28,
  'test/security/storage.test.ts': 27,
  'test/cli/push.test.ts': 27,
  'test/workers/stuckProcess.test.ts': 24,
  'test/pruning/sequential.test.ts': 23,
  'test/security/races.test.ts': 22,
  'test/security/surface.test.ts': 21,
  'test/workers/jobFailures.test.ts': 21,
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
