// Prints the ten slowest tests at the end of every run, each beside its time limit, and names any
// test that used more than a third of its limit (issue 28: no test within 3× of its time limit, so a
// loaded machine cannot push it over). Vitest 4 has no option for this (`slowTestThreshold` only
// colours single durations), so it is a reporter on the documented `onTestRunEnd` hook, next to
// the default one (vitest.config.ts).
import { writeFileSync } from 'node:fs';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

const SHOWN = 10;
/** A test may use at most this share of its time limit. */
const MARGIN = 3;

interface Timed {
  name: string;
  ms: number;
  limit: number | undefined;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function timedTests(modules: ReadonlyArray<TestModule>): Timed[] {
  const out: Timed[] = [];
  for (const m of modules)
    for (const t of m.children.allTests() as Iterable<TestCase>) {
      const d = t.diagnostic();
      if (d) out.push({ name: `${m.relativeModuleId} > ${t.fullName}`, ms: d.duration, limit: t.options.timeout });
    }
  return out.sort((a, b) => b.ms - a.ms);
}

export default class SlowestTests implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    // BONSAI_TEST_TIMES=FILE: every file's seconds and CPU seconds as JSON, for the table of
    // test/setup/longFirst.ts and for comparing runs file by file.
    if (process.env.BONSAI_TEST_TIMES)
      writeFileSync(
        process.env.BONSAI_TEST_TIMES,
        JSON.stringify(
          modules.map((m) => ({
            file: m.relativeModuleId,
            seconds: m.diagnostic().duration / 1000,
            cpuSeconds: (m.meta() as { cpuSeconds?: number }).cpuSeconds,
          })),
          null,
          1,
        ),
      );
    const tests = timedTests(modules);
    if (tests.length === 0) return;
    const lines = tests
      .slice(0, SHOWN)
      .map((t) => `  ${seconds(t.ms).padStart(8)}  (limit ${t.limit ? seconds(t.limit) : '-'})  ${t.name}`);
    const close = tests.filter((t) => t.limit && t.ms * MARGIN > t.limit);
    const files = [...modules]
      .map((m) => ({ name: m.relativeModuleId, ms: m.diagnostic().duration }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, SHOWN)
      .map((f) => `  ${seconds(f.ms).padStart(8)}  ${f.name}`);
    // CPU seconds per file (test/setup/cpuTime.ts): what a file costs whatever else the machine runs.
    const cpu = [...modules]
      .map((m) => ({ name: m.relativeModuleId, s: (m.meta() as { cpuSeconds?: number }).cpuSeconds }))
      .filter((f): f is { name: string; s: number } => f.s !== undefined)
      .sort((a, b) => b.s - a.s);
    const total = cpu.reduce((a, f) => a + f.s, 0);
    const cpuLines = cpu.slice(0, SHOWN).map((f) => `  ${`${f.s.toFixed(1)} s`.padStart(8)}  ${f.name}`);
    process.stdout.write(`\n Slowest tests:\n${lines.join('\n')}\n Slowest files:\n${files.join('\n')}\n`);
    if (cpu.length > 0)
      process.stdout.write(
        ` Most CPU (user + system, with the processes each file waited for; ${total.toFixed(0)} CPU-s in ${cpu.length} files):\n${cpuLines.join('\n')}\n`,
      );
    if (close.length > 0)
      process.stdout.write(
        `\n Tests that took more than 1/${MARGIN} of their time limit:\n${close.map((t) => `  ${seconds(t.ms)} of ${seconds(t.limit!)}  ${t.name}`).join('\n')}\n`,
      );
  }
}
