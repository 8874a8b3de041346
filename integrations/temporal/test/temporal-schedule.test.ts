import { Client, Connection } from "@temporalio/client";
import { lolpop, penguinsProject, startWorker, suiteDevServer, versions, waitFor } from "./harness.js";

const server = suiteDevServer();

test("a schedule runs the config on a worker; list shows it with its next run; delete removes it", async () => {
  const queue = "q-schedule";
  const t = penguinsProject(
    `\norchestrator:\n  type: TemporalOrchestrator\n  address: ${server.address}\n  task_queue: ${queue}\n`,
  );
  const bad = lolpop(["schedule", "create", "nightly", "--step", "train"], t.dir);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('give --cron "<spec>"');

  const c = lolpop(
    ["schedule", "create", "nightly", "--cron", "0 2 * * *", "--step", "train", "--json"],
    t.dir,
  );
  expect({ code: c.code, stderr: c.stderr }).toEqual({ code: 0, stderr: "" });
  const created = JSON.parse(c.stdout);
  expect(created).toMatchObject({ id: "nightly", cron: ["0 2 * * *"], step: "train", paused: false });
  expect(new Date(created.next_runs[0]).getUTCHours()).toBe(2);

  const l = lolpop(["schedule", "list", "--json"], t.dir);
  expect(l.code).toBe(0);
  const listed = JSON.parse(l.stdout);
  expect(listed).toHaveLength(1);
  expect(listed[0]).toMatchObject({ id: "nightly", paused: false, step: "train", config: t.config });
  expect(listed[0].next_runs[0]).toBe(created.next_runs[0]);

  // Run it now (as the cron would at 02:00): a worker runs it and registers version 1.
  const w = await startWorker(t.dir, server.address, ["--task-queue", queue]);
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    await client.schedule.getHandle("nightly").trigger();
    await waitFor(() => versions(t.dir).length === 1, 120_000, "the scheduled run to register a version");
    const d = await client.schedule.getHandle("nightly").describe();
    expect(d.info.recentActions).toHaveLength(1);
    const run = client.workflow.getHandle(d.info.recentActions[0]!.action.workflow.workflowId);
    const summary = (await run.result()) as { train: { version: number } };
    expect(summary.train.version).toBe(1);
  } finally {
    await connection.close();
  }

  const del = lolpop(["schedule", "delete", "nightly"], t.dir);
  expect({ code: del.code, stdout: del.stdout }).toEqual({ code: 0, stdout: "schedule nightly deleted\n" });
  expect(JSON.parse(lolpop(["schedule", "list", "--json"], t.dir).stdout)).toEqual([]);
  w.kill("SIGTERM");
}, 240_000);
