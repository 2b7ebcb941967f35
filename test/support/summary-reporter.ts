// Prints one plain closing line, e.g. "vitest: 13 passed, 0 failed, 0 skipped", after vitest's own summary,
// which is coloured and not in the "N passed, N failed" form CI reads. Import and hook errors count as
// failures: vitest otherwise reports their tests as skipped.
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === "passed") passed++;
        else if (s === "failed") failed++;
        else skipped++;
      }
      failed += m.errors().length;
      for (const s of m.children.allSuites()) failed += s.errors().length;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
