/**
 * `lolpop run --orchestrator <name>` (or the config's `orchestrator:` section): finds the installed
 * plugin whose manifest lists the orchestrator (`lolpop.orchestrators: [{name, type, module}]`),
 * imports its module and returns an instance of the class named `type` (a `RunLauncher`).
 * `in-process` (the default) means no launcher: the CLI runs the steps itself.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, type RunLauncher, type WorkflowPlan } from "@lolpop/core";
import type { ProjectDiscovery } from "./discovery.js";
import { importUrl } from "./import-url.js";

/** Names meaning "run the steps in this process". */
export const IN_PROCESS = ["in-process", "local", "InProcess"];

/** The launcher for `name` (an orchestrator name or type), or undefined for in-process. */
export async function findLauncher(
  name: string | undefined,
  discovery: ProjectDiscovery,
  configFile: string,
): Promise<RunLauncher | undefined> {
  if (!name || IN_PROCESS.includes(name)) return undefined;
  const offered: string[] = [];
  for (const p of discovery.plugins) {
    if (p.status !== "ok") continue;
    for (const o of p.manifest?.orchestrators ?? []) {
      offered.push(`${o.name} (${o.type}, from ${p.name})`);
      if (o.name !== name && o.type !== name) continue;
      const mod = (await importUrl(pathToFileURL(resolve(p.dir, o.module)).href)) as Record<string, unknown>;
      const Ctor = mod[o.type] as (new () => RunLauncher) | undefined;
      if (typeof Ctor !== "function")
        throw new Error(`${p.name}: ${o.module} does not export the orchestrator class ${o.type}`);
      return new Ctor();
    }
  }
  throw new ConfigError({
    issues: [
      {
        code: "unknown_orchestrator",
        path: "orchestrator",
        file: configFile,
        message: `no installed plugin provides the orchestrator "${name}" (${offered.length ? `available: ${offered.join(", ")}, ` : ""}or in-process): install it (e.g. npm install @lolpop/temporal for temporal)`,
      },
    ],
  });
}

/**
 * The orchestrator's own checks of a plan (settings, machine-local paths), as a config error; none
 * for in-process. `lolpop validate` and `lolpop run` both call it, so validate finds what run would.
 */
export async function checkOrchestrator(plan: WorkflowPlan, discovery: ProjectDiscovery): Promise<void> {
  const launcher = await findLauncher(plan.orchestrator?.type, discovery, plan.file);
  const issues = launcher?.check?.(plan) ?? [];
  if (issues.length) throw new ConfigError({ issues });
}
