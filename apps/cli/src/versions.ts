/**
 * Versions of the lolpop packages this CLI was built with (embedded at build time from the
 * workspace), used by `lolpop init` and `lolpop create` to write dependency ranges that exist.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cliPackageDir } from "./discovery.js";

declare const __LOLPOP_VERSIONS__: Record<string, string> | undefined;

/** Pinned versions of the tools a generated plugin builds and tests with (known to work on Node 20). */
export const TOOL_VERSIONS: Readonly<Record<string, string>> = Object.freeze({
  "@changesets/cli": "2.31.0",
  "@swc/core": "1.16.22",
  "@swc/jest": "0.2.39",
  "@types/jest": "30.0.0",
  "@types/node": "20.19.43",
  jest: "30.5.2",
  tsup: "8.5.0",
  typescript: "5.9.3",
});

let own: string | undefined;

/** This CLI's version. */
export function cliVersion(): string {
  own ??= (JSON.parse(readFileSync(join(cliPackageDir(), "package.json"), "utf8")) as { version: string })
    .version;
  return own;
}

/** The version of a lolpop package to depend on (the one released with this CLI). */
export function lolpopVersion(name: string): string {
  const embedded = typeof __LOLPOP_VERSIONS__ === "object" ? __LOLPOP_VERSIONS__ : undefined;
  return embedded?.[name] ?? cliVersion();
}

/** A caret range on {@link lolpopVersion}. */
export function lolpopRange(name: string): string {
  return `^${lolpopVersion(name)}`;
}
