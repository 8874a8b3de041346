/** Behaviour checks of a `data_checker`. */
import type { DataChecker } from "@lolpop/core";
import { sampleTable } from "../sample-data.js";
import { type BehaviourEnv, checkReport, type NamedCheck } from "./support.js";

export function dataCheckerChecks(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "check_data returns a report whose status is the worst of its checks",
      run: async () => {
        const c = (await env.create()) as DataChecker;
        const table = sampleTable("classification");
        checkReport(await c.check_data(table), "check_data(table)");
        checkReport(
          await c.check_data(table, {
            reference: sampleTable("classification", { seed: 8 }),
            name: "sample",
          }),
          "check_data(table, {reference})",
        );
      },
    },
  ];
}
