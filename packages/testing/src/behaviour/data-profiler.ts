/** Behaviour checks of a `data_profiler`. */
import type { DataProfiler } from "@lolpop/core";
import { sampleTable } from "../sample-data.js";
import { type BehaviourEnv, expectThat, type NamedCheck } from "./support.js";

export function dataProfilerChecks(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "profile_data and compare_data return json and a summary",
      run: async () => {
        const c = (await env.create()) as DataProfiler;
        const table = sampleTable("classification");
        for (const [what, r] of [
          ["profile_data", await c.profile_data(table, { name: "sample" })],
          ["compare_data", await c.compare_data(table, sampleTable("classification", { seed: 8 }))],
        ] as const) {
          expectThat(r && r.json !== undefined, `${what} must return json`);
          expectThat(r.summary && typeof r.summary === "object", `${what} must return a summary object`);
        }
      },
    },
  ];
}
