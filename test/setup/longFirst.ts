// Longest test files first, so two workers end together instead of one finishing a long file
// alone at the end (longest-processing-time-first scheduling). Vitest's own sequencer orders by
// the durations it cached from the last run and, on a clean clone (CI) where there is no cache, by
// file size, which puts a short file of many small tests before a short file that starts a whole
// demo. So a file without a cached duration takes its duration from the table below: seconds per
// file from a full run on a quiet 2-core machine (issue 28), the files over ~10 s only.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const KNOWN_SECONDS: Record<string, number> = {
  'test/cli/demo.test.ts': 66,
  'test/workers/crash.test.ts': 43,
  'test/pruning/reconstruction.test.ts': 40,
  'test/vocab/trim.test.ts': 30,
  'test/vocab/encoders.test.ts': 30,
  'test/e2e/catalog.test.ts': 30,
  'test/cli/serve.test.ts': 30,
  'test/onnx/export.test.ts': 25,
  'test/security/noServerPaths.test.ts': 25,
  'test/eval/tasks.test.ts': 20,
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
