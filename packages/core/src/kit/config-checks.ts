/**
 * Reusing a component's own validators as its `checkConfig`: most components already check their
 * config with functions that throw a {@link ConfigError} whose issues sit at `<path>.config.<key>`
 * (`mergeTrainingParams`, a tuner's trial plan...). {@link configIssuesOf} runs such a function and
 * returns its issues relative to the config, so validation reports them at their lines without a
 * second copy of the rule.
 */
import { ConfigError } from "../errors.js";
import type { ConfigCheckIssue } from "../plugin.js";

/**
 * Runs `check` and turns the {@link ConfigError} it throws into `checkConfig` issues: issue paths
 * below `<path>.config` become paths inside the config; any other path is kept whole as the last
 * segment's key under the config root (so nothing is lost). Other errors propagate.
 * @param path The owner's YAML path (`ConfigCheckInfo.path`), which `check` uses for its issues.
 */
export function configIssuesOf(path: string, check: () => unknown): ConfigCheckIssue[] {
  try {
    check();
    return [];
  } catch (e) {
    if (!ConfigError.isInstance(e)) throw e;
    const prefix = `${path}.config`;
    return e.issues.map((i) => {
      const rel =
        i.path === prefix
          ? []
          : i.path.startsWith(`${prefix}.`)
            ? i.path
                .slice(prefix.length + 1)
                .split(".")
                .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
            : [];
      return { path: rel, code: i.code, message: i.message };
    });
  }
}
