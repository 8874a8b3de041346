/** Behaviour checks of a `notifier`. */
import type { Notifier } from "@lolpop/core";
import type { BehaviourEnv, NamedCheck } from "./support.js";

export function notifierChecks(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "notify accepts each level with and without details",
      run: async () => {
        const c = (await env.create()) as Notifier;
        await c.notify("lolpop conformance: info", "info");
        await c.notify("lolpop conformance: warn", "warn", { step: "conformance" });
        await c.notify("lolpop conformance: error", "error");
      },
    },
  ];
}
