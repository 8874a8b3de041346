// The counts behind the summary line of scripts/run-tests.mjs, from jest's --json results.
import { relative } from "node:path";

/**
 * Counts a jest `--json` result for the summary line. A test file can fail without a failed test of
 * its own: it failed to run (it did not load, or its jest worker died), or something outside its
 * tests failed (an `afterAll`). Each such file counts as one failed test and gets a line naming it,
 * so the summary never reads "0 failed" for a failed run.
 *
 * @param {any} results the parsed `--outputFile` of `jest --json`
 * @param {string} root paths in the report are relative to it
 */
export function summarize(results, root = process.cwd()) {
  const unexplained = [];
  for (const file of results.testResults ?? []) {
    if (file.status !== "failed") continue;
    const assertions = file.assertionResults ?? [];
    if (assertions.some((a) => a.status === "failed")) continue;
    unexplained.push({
      file: relative(root, file.name),
      ran: assertions.length > 0,
      reason: firstLine(file.message),
    });
  }
  unexplained.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const tests = {
    passed: results.numPassedTests,
    failed: results.numFailedTests + unexplained.length,
    skipped: results.numPendingTests + results.numTodoTests,
  };
  const suites = { passed: results.numPassedTestSuites, failed: results.numFailedTestSuites };
  const lines = unexplained.map(
    (s) => `${s.ran ? "failed outside its tests" : "failed to run"}: ${s.file}: ${s.reason}`,
  );
  lines.push(
    `test suites: ${suites.passed} passed, ${suites.failed} failed` +
      (unexplained.length
        ? ` (${unexplained.length} without a failed test, each counted below as one failed test)`
        : ""),
  );
  lines.push(`tests: ${tests.passed} passed, ${tests.failed} failed, ${tests.skipped} skipped`);
  return { tests, suites, unexplained, lines };
}

/** The first meaningful line of a jest failure message, without colours and the "Test suite failed to run" header. */
function firstLine(message = "") {
  const lines = message
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^●\s*Test suite failed to run$/.test(l));
  // "Configuration error:" says little alone: take the line that follows too.
  if (lines.length > 1 && lines[0].endsWith(":")) return `${lines[0]} ${lines[1]}`;
  return lines[0] ?? "no message";
}
