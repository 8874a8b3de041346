// `lolpop runs cancel <id>` against the real dev server: the run ends cancelled with the exit code
// and error code of a local run interrupted by SIGINT.
import {
  lolpop,
  lolpopAsync,
  penguinsProject,
  slowTrain,
  startWorker,
  suiteDevServer,
  versions,
  waitFor,
} from "./harness.js";

const server = suiteDevServer();

test("runs cancel ends the run cancelled like a local interrupt", async () => {
  // Locally: SIGINT during train.
  const local = penguinsProject();
  slowTrain(local.dir, 4000);
  const l = lolpopAsync(["run", "--step", "train", "--json"], local.dir, { LOLPOP_LOG_LEVEL: "info" });
  await waitFor(() => l.stderr().includes("split "), 60_000, "the local train step");
  l.child.kill("SIGINT");
  const localCode = await l.exited;
  const localOut = JSON.parse(l.stdout());

  const queue = "q-cancel";
  const t = penguinsProject(
    `\norchestrator:\n  type: TemporalOrchestrator\n  address: ${server.address}\n  task_queue: ${queue}\n`,
  );
  // Long enough (~40 s idle, more on a busy machine) that the cancel (the CLI starts, then at most a
  // heartbeat) lands mid-fit.
  slowTrain(t.dir, 40_000);
  const w = await startWorker(t.dir, server.address, ["--task-queue", queue]);
  const run = lolpopAsync(["run", "--step", "train", "--json"], t.dir);
  await waitFor(() => /step train of run \S+ started/.test(w.output()), 120_000, "the train step");
  const id = /step train of run (\S+) started/.exec(w.output())![1]!;
  const c = lolpop(["runs", "cancel", id, "--address", server.address], t.dir);
  expect({ code: c.code, stdout: c.stdout }).toEqual({ code: 0, stdout: `cancel requested for run ${id}\n` });
  const code = await run.exited;
  if (process.env.DEBUG_CANCEL)
    console.log(code, run.stdout(), run.stderr(), localCode, l.stdout(), l.stderr().slice(-600), w.output());
  const out = JSON.parse(run.stdout());
  expect({ code, ok: out.ok }).toEqual({ code: localCode, ok: false });
  expect(out.error.code).toBe(localOut.error.code);
  expect(out.error.step).toBe(localOut.error.step);
  expect(out.error.message).toBe("Cancelled at train: cancelled with lolpop runs cancel");
  expect(versions(local.dir)).toEqual([]);
  // The workflow waited for the train step to stop (it sees the cancel within a heartbeat, 1 s), so
  // when the run has ended cancelled, the step has ended too (its log line arrives through a pipe)
  // and registered nothing, now or later.
  await waitFor(
    () => new RegExp(`step train of run ${id} cancelled`).test(w.output()) || versions(t.dir).length > 0,
    15_000,
    "the worker's train step to stop",
  );
  expect(versions(t.dir)).toEqual([]);
  expect(w.output()).not.toMatch(new RegExp(`step train of run ${id} finished`));
  w.kill("SIGTERM");
}, 280_000);
