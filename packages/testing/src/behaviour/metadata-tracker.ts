/** Behaviour checks of a `metadata_tracker`. */
import type { MetadataTracker } from "@lolpop/core";
import { sampleTable } from "../sample-data.js";
import { type BehaviourEnv, expectThat, type NamedCheck } from "./support.js";

export function metadataTrackerChecks(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "records a run: params, metrics, tags, dataset, artifact, nested run, search (tags, parent, status, start time), end",
      run: async () => {
        const root = env.tmp();
        const t = (await env.create(root)) as MetadataTracker;
        const run = await t.start_run({ name: "conformance", tags: { suite: "lolpop-testing" } });
        expectThat(run && typeof run.id === "string" && run.id, "start_run must return a run with an id");
        expectThat(run.status === "RUNNING", `a started run has status RUNNING (got ${run.status})`);
        await t.log_params(run.id, { alpha: 0.5, name: "x" });
        await t.log_metrics(run.id, { "valid.f1_macro": 0.75 });
        await t.log_tags(run.id, { stage: "test" });
        const table = sampleTable("classification");
        await t.log_dataset(run.id, {
          name: "sample",
          fingerprint: table.fingerprint(),
          rows: table.numRows,
          columns: table.numColumns,
          context: "training",
        });
        const uri = await t.log_artifact(run.id, "notes/readme.txt", "hello");
        expectThat(typeof uri === "string" && uri, "log_artifact must return the artifact's uri");
        const child = await t.start_run({ name: "conformance-child", parent_id: run.id });
        await t.end_run(child.id, "FINISHED");
        const rec = await t.get_run(run.id);
        expectThat(
          rec.params.alpha === "0.5",
          `params are stored as strings (alpha: ${JSON.stringify(rec.params.alpha)})`,
        );
        expectThat(rec.metrics["valid.f1_macro"] === 0.75, "the logged metric is not in get_run()");
        expectThat(
          rec.tags.stage === "test" && rec.tags.suite === "lolpop-testing",
          "tags are missing in get_run()",
        );
        expectThat(
          rec.artifacts.some((a) => a.includes("readme.txt")),
          `the artifact is not listed (${rec.artifacts.join(", ")})`,
        );
        expectThat(
          rec.datasets.some((d) => d.fingerprint === table.fingerprint()),
          "the dataset is not in get_run()",
        );
        const children = await t.search_runs({ parent_id: run.id });
        expectThat(
          children.some((c) => c.id === child.id),
          "search_runs({parent_id}) does not find the nested run",
        );
        const tagged = await t.search_runs({ tags: { suite: "lolpop-testing" } });
        expectThat(
          tagged.some((r) => r.id === run.id),
          "search_runs({tags}) does not find the run",
        );
        const finished = await t.search_runs({ tags: { suite: "lolpop-testing" }, status: "FINISHED" });
        expectThat(
          !finished.some((r) => r.id === run.id),
          "search_runs({status: FINISHED}) returns a run that is still RUNNING",
        );
        const running = await t.search_runs({ parent_id: run.id, status: ["RUNNING", "FAILED"] });
        expectThat(
          !running.some((r) => r.id === child.id),
          "search_runs({status: [RUNNING, FAILED]}) returns a FINISHED run",
        );
        const open = await t.search_runs({
          tags: { suite: "lolpop-testing" },
          status: ["RUNNING"],
          limit: 1,
        });
        expectThat(
          open.length === 1 && open[0]!.status === "RUNNING",
          `search_runs({status: [RUNNING], limit: 1}) returns ${open.map((r) => r.status).join(", ") || "nothing"}`,
        );
        await t.end_run(run.id, "FINISHED");
        const done = await t.search_runs({ parent_id: run.id, status: "FINISHED" });
        expectThat(
          done.some((r) => r.id === child.id),
          "search_runs({parent_id, status: FINISHED}) does not find the ended nested run",
        );
        // The start-time window: started_after inclusive, started_before exclusive.
        const at = (await t.get_run(child.id)).started_at;
        const ids = async (f: { started_after?: string; started_before?: string }) =>
          (await t.search_runs({ parent_id: run.id, ...f })).map((r) => r.id);
        expectThat(
          (await ids({ started_after: at })).includes(child.id),
          `search_runs({started_after: its started_at ${at}}) does not find the run`,
        );
        expectThat(
          !(await ids({ started_before: at })).includes(child.id),
          `search_runs({started_before: its started_at ${at}}) returns the run`,
        );
        const dayLater = new Date(Date.parse(at) + 86_400_000).toISOString();
        expectThat(
          !(await ids({ started_after: dayLater })).includes(child.id) &&
            (await ids({ started_before: dayLater })).includes(child.id),
          `search_runs with a window a day after ${at} gets the run wrong`,
        );
        const ended = await t.get_run(run.id);
        expectThat(ended.status === "FINISHED", `after end_run the status is ${ended.status}`);
        expectThat(typeof ended.ended_at === "string", "an ended run has ended_at");
      },
    },
    {
      name: "search_runs({metrics: true}): each run found has the latest metrics get_run gives",
      run: async () => {
        const t = (await env.create(env.tmp())) as MetadataTracker;
        const a = await t.start_run({ name: "with-metrics", tags: { suite: "lolpop-metrics" } });
        await t.log_metrics(a.id, { "test.f1_macro": 0.5, loss: 2 });
        await t.log_metrics(a.id, { loss: 1.25 }, { step: 1 });
        await t.end_run(a.id, "FINISHED");
        const b = await t.start_run({ name: "no-metrics", tags: { suite: "lolpop-metrics" } });
        await t.end_run(b.id, "FINISHED");
        const found = await t.search_runs({ tags: { suite: "lolpop-metrics" }, metrics: true });
        expectThat(found.length === 2, `search_runs found ${found.length} runs, expected 2`);
        for (const r of found) {
          const want = (await t.get_run(r.id)).metrics;
          const got = "metrics" in r ? r.metrics : undefined;
          expectThat(
            JSON.stringify(got && Object.entries(got).sort()) === JSON.stringify(Object.entries(want).sort()),
            `search_runs({metrics: true}) gives run ${r.name} the metrics ${JSON.stringify(got)}, get_run ${JSON.stringify(want)}`,
          );
        }
        expectThat(
          (found.find((r) => r.id === a.id) as { metrics?: Record<string, number> }).metrics?.loss === 1.25,
          "search_runs({metrics: true}) does not give the latest value of a metric logged twice",
        );
        const limited = await t.search_runs({ tags: { suite: "lolpop-metrics" }, metrics: true, limit: 1 });
        expectThat(
          limited.length === 1 && "metrics" in limited[0]!,
          "search_runs({metrics: true, limit: 1}) must give one run, with its metrics",
        );
      },
    },
    {
      name: "optional delete_run: deletes a run with its child runs, refuses a running one",
      run: async () => {
        const t = (await env.create(env.tmp())) as MetadataTracker;
        if (typeof t.delete_run !== "function") return; // an older tracker: the method is optional
        const keep = await t.start_run({ name: "kept" });
        await t.end_run(keep.id, "FINISHED");
        const parent = await t.start_run({ name: "doomed" });
        const child = await t.start_run({ name: "doomed-child", parent_id: parent.id });
        let code: unknown;
        try {
          await t.delete_run(parent.id);
        } catch (e) {
          code = (e as { code?: unknown }).code ?? "thrown";
        }
        expectThat(
          code === "run_is_running",
          `delete_run of a RUNNING run must throw an error with code run_is_running (got ${code === undefined ? "no error" : String(code)})`,
        );
        expectThat((await t.get_run(parent.id)).id === parent.id, "a refused delete_run must delete nothing");
        await t.end_run(child.id, "FINISHED");
        await t.end_run(parent.id, "FAILED");
        await t.delete_run(parent.id);
        const gone = async (id: string) => {
          try {
            await t.get_run(id);
            return false;
          } catch {
            return true;
          }
        };
        expectThat(await gone(parent.id), "get_run of a deleted run must throw");
        expectThat(await gone(child.id), "delete_run must delete the run's child runs");
        const left = (await t.search_runs({})).map((r) => r.id);
        expectThat(
          left.includes(keep.id) && !left.includes(parent.id) && !left.includes(child.id),
          `search_runs after delete_run must list the other runs only (got ${JSON.stringify(left)})`,
        );
      },
    },
    {
      name: "optional get_metric_history and read_artifact: per-step values in order, artifact bytes back",
      run: async () => {
        const t = (await env.create(env.tmp())) as MetadataTracker;
        const run = await t.start_run({ name: "history" });
        if (typeof t.get_metric_history === "function") {
          for (let step = 0; step < 3; step++)
            await t.log_metrics(run.id, { loss: 1 / (step + 1), acc: step / 4 }, { step });
          const got = (await t.get_metric_history(run.id, "loss")).map((p) => [p.step, p.value]);
          expectThat(
            JSON.stringify(got) ===
              JSON.stringify([
                [0, 1],
                [1, 0.5],
                [2, 1 / 3],
              ]),
            `get_metric_history(loss) must give [[0,1],[1,0.5],[2,0.333...]] as [step, value] (got ${JSON.stringify(got)})`,
          );
          const none = await t.get_metric_history(run.id, "never_logged");
          expectThat(none.length === 0, "get_metric_history of a metric never logged must be []");
        }
        if (typeof t.read_artifact === "function") {
          await t.log_artifact(run.id, "reports/check.html", "<p>report</p>");
          const text = new TextDecoder().decode(await t.read_artifact(run.id, "reports/check.html"));
          expectThat(
            text === "<p>report</p>",
            `read_artifact must give the logged bytes (got ${JSON.stringify(text)})`,
          );
          let threw = false;
          try {
            await t.read_artifact(run.id, "reports/missing.html");
          } catch {
            threw = true;
          }
          expectThat(threw, "read_artifact of a missing artifact must throw");
        }
        await t.end_run(run.id, "FINISHED");
      },
    },
  ];
}
