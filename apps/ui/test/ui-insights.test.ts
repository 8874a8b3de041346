// The version page's curves and reports read through the tracker contract (a real local tracker):
// per-step metrics become series, single values do not; a tracker without the optional
// get_metric_history gets a note instead of curves; HTML artifacts of the version's run, its
// workflow run and the workflow run's other children are listed with their sandboxed URL.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { instantiateComponent, type MetadataTracker, type ModelVersionInfo } from "@lolpop/core";
import { localMetadataTracker } from "@lolpop/local";
import { reportUrl, versionCurves, versionReports } from "../src/ui-insights.js";

async function tracker(): Promise<MetadataTracker> {
  const root = mkdtempSync(join(tmpdir(), "lolpop-ui-insights-"));
  return (await instantiateComponent(localMetadataTracker, { project: { root } })) as MetadataTracker;
}

const version = (run_id?: string): ModelVersionInfo => ({
  name: "m",
  version: 1,
  created_at: new Date().toISOString(),
  ...(run_id ? { run_id } : {}),
  aliases: [],
  tags: {},
  metrics: {},
  uri: "file:///nowhere",
});

describe("version insights over the tracker contract", () => {
  test("curves: metrics logged at 2+ steps, in step order; a tracker without history gets a note", async () => {
    const t = await tracker();
    const run = await t.start_run({ name: "train" });
    for (const step of [1, 2, 3])
      await t.log_metrics(run.id, { "epoch.loss": 1 / step, "epoch.val_loss": 2 / step }, { step });
    await t.log_metrics(run.id, { "test.accuracy": 0.9 });
    const curves = await versionCurves(t, version(run.id));
    expect(curves.note).toBeUndefined();
    expect(curves.series).toEqual([
      { key: "epoch.loss", points: [1, 2, 3].map((s) => ({ step: s, value: 1 / s })) },
      { key: "epoch.val_loss", points: [1, 2, 3].map((s) => ({ step: s, value: 2 / s })) },
    ]);

    const flat = await t.start_run({ name: "forest" });
    await t.log_metrics(flat.id, { "test.accuracy": 0.8 });
    expect(await versionCurves(t, version(flat.id))).toMatchObject({
      series: [],
      note: expect.stringMatching(/no per-step metrics/),
    });
    const { get_metric_history: _, ...older } = t;
    expect(await versionCurves(older as MetadataTracker, version(run.id))).toMatchObject({
      series: [],
      note: expect.stringMatching(/only the latest value/),
    });
    expect((await versionCurves(t, version())).note).toMatch(/names no run/);
    expect((await versionCurves(undefined, version(run.id))).note).toMatch(/no metadata_tracker/);
  });

  test("reports: HTML artifacts of the version's run, its workflow run and the sibling runs", async () => {
    const t = await tracker();
    const workflow = await t.start_run({ name: "workflow" });
    const process = await t.start_run({ name: "process", parent_id: workflow.id });
    const train = await t.start_run({ name: "train", parent_id: workflow.id });
    const other = await t.start_run({ name: "unrelated" });
    await t.log_artifact(process.id, "checks/drift.evidently.html", "<p>drift</p>");
    await t.log_artifact(process.id, "checks/drift.evidently.json", "{}");
    await t.log_artifact(train.id, "curves.htm", "<p>x</p>");
    await t.log_artifact(workflow.id, "lineage.json", "{}");
    await t.log_artifact(other.id, "elsewhere.html", "<p>no</p>");
    const reports = await versionReports(t, version(train.id));
    expect(reports.map((r) => [r.run_name, r.name, r.url]).sort()).toEqual(
      [
        ["process", "checks/drift.evidently.html", reportUrl(process.id, "checks/drift.evidently.html")],
        ["train", "curves.htm", reportUrl(train.id, "curves.htm")],
      ].sort(),
    );
    expect(reportUrl("r 1", "a b/c#d.html")).toBe("/reports/r%201/a%20b/c%23d.html");
  });
});
