/** Behaviour checks of a `logger`. */
import type { LoggerComponent } from "@lolpop/core";
import type { BehaviourEnv, NamedCheck } from "./support.js";

export function loggerChecks(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "log accepts each level",
      run: async () => {
        const c = (await env.create()) as LoggerComponent;
        for (const level of ["debug", "info", "warn", "error"] as const)
          await c.log(`lolpop conformance ${level}`, level, { n: 1 });
      },
    },
  ];
}
