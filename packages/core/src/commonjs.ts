/**
 * Entry of core's CommonJS build (`dist/index.cjs`, not in `exports`: importers get the ES modules,
 * one copy of core). The CLI's `validate` start loads it through a V8 code cache and gives the
 * CommonJS builds it loads after it (the CLI's, plugins' checks modules) this copy of core for
 * each `@lolpop/core` specifier: {@link commonJsModules}, its only export (each export of a
 * CommonJS bundle is a getter defined at load: core's ~170 names again would cost ~1 ms).
 */
import * as checks from "./checks.js";
import * as core from "./index.js";
import * as manifest from "./manifest.js";
import * as metrics from "./metrics/index.js";

/** The exports of each of core's entries, by the specifier that imports it. */
export const commonJsModules: Record<string, unknown> = {
  "@lolpop/core": core,
  "@lolpop/core/checks": checks,
  "@lolpop/core/manifest": manifest,
  "@lolpop/core/metrics": metrics,
};
