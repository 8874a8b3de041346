/**
 * @lolpop/ui: a local web UI for a lolpop project (`createUiApp`, and the `lolpop ui` command this
 * plugin adds). Importing it registers the plugin (it has no components; its manifest lists the
 * command).
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The plugin (no components: it adds the `ui` command through its manifest). */
export const uiPlugin = registerPlugin(
  definePlugin({ name: pkg.name, version: pkg.version, components: [] }),
);

export default uiPlugin;
export { UiError } from "./ui-error.js";
export type { VersionCurves, VersionImportance, VersionReport } from "./ui-insights.js";
export {
  CSRF_HEADER,
  createUiApp,
  MAX_RUNS,
  REPORT_CSP,
  type UiAppOptions,
  type UiStore,
} from "./ui-server.js";
