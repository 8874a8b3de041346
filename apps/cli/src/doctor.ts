/**
 * `lolpop doctor`: Node and core versions, duplicate cores, plugins (imported, so a plugin that
 * throws at import shows up here), Python and the modules the installed plugins need, and whether
 * the servers named in the config answer. Every problem comes with a fix.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  CORE_VERSION,
  ConfigError,
  coreCopies,
  formatConfigIssue,
  loadConfigFile,
  loadProject,
  PLUGIN_API_VERSION,
  redactText,
  registerSecret,
  resolveConfig,
  typesUsed,
  type WorkflowPlan,
} from "@lolpop/core";
// Types only: the bridge is loaded when a plugin needs Python, from where the integrations load it.
import type * as PythonBridgeModule from "@lolpop/python-bridge";
import type { PythonLocation, PythonRequirement } from "@lolpop/python-bridge";
import { type DiscoveredPlugin, entryOf, type ProjectDiscovery, resolvePackageDir } from "./discovery.js";
import { importPlugin } from "./loader.js";
import type { CliInfo } from "./plugins-command.js";

/** One line of the doctor's report. */
export interface DoctorCheck {
  /** Area: node, cli, core, plugin, python, server, config. */
  area: string;
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  /** What to do (for warn/fail). */
  fix?: string;
}

/** The doctor's report. */
export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

/** True when the package's `files` ships `python/requirements.txt` (so it is for users, not the package's own tests). */
function shipsRequirements(dir: string): boolean {
  try {
    const files = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { files?: unknown }).files;
    return (
      Array.isArray(files) &&
      files.some((f) =>
        ["python", "python/", "python/*", "python/**", "python/requirements.txt"].includes(String(f)),
      )
    );
  } catch {
    return false;
  }
}

/** @lolpop/python-bridge: its interpreter lookup and requirement parser. */
export type PythonBridge = Pick<
  typeof PythonBridgeModule,
  "findPython" | "installSpec" | "parseRequirements" | "readRequirementsFile" | "satisfiesVersion"
>;

/**
 * Where a plugin declares the Python requirements it needs at run time: the manifest's
 * `lolpop.python.packages` (a list of pip requirement lines) or `lolpop.python.requirements` (a
 * requirements file in the package), else its `python/requirements.txt` when the package ships that
 * file (listed in `files`). Undefined when it declares none.
 */
function requirementSource(p: DiscoveredPlugin): { file?: string; lines?: string[] } | undefined {
  const spec = (p.manifest as { python?: { requirements?: unknown; packages?: unknown } } | undefined)
    ?.python;
  if (spec && Array.isArray(spec.packages)) return { lines: spec.packages.map(String) };
  const declared = spec && typeof spec.requirements === "string";
  const file = declared
    ? resolve(p.dir, String(spec.requirements))
    : join(p.dir, "python", "requirements.txt");
  return existsSync(file) && (declared || shipsRequirements(p.dir)) ? { file } : undefined;
}

/** The Python requirements a plugin declares (see `requirementSource`), parsed by python-bridge as the integrations read their pins. */
export function pythonRequirements(
  p: DiscoveredPlugin,
  bridge: Pick<PythonBridge, "parseRequirements" | "readRequirementsFile">,
): { file?: string; requirements: PythonRequirement[] } {
  const src = requirementSource(p);
  if (!src) return { requirements: [] };
  if (src.lines) return { requirements: bridge.parseRequirements(src.lines.join("\n")) };
  return { file: src.file, requirements: bridge.readRequirementsFile(src.file!) };
}

/**
 * Splits `name==1.2.3` / `name>=1` / `name[extra]==1` into its distribution name and pinned version.
 * @deprecated kept for code written against earlier CLIs; the doctor parses requirements with
 * `parseRequirementLine` from `@lolpop/python-bridge`, which also keeps other version specifiers.
 */
export function parseRequirement(line: string): { name: string; pinned?: string } {
  const m = /^([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(==\s*([^\s;,]+))?/.exec(line);
  return { name: m?.[1] ?? line, ...(m?.[4] ? { pinned: m[4] } : {}) };
}

/**
 * Loads @lolpop/python-bridge as the integrations do: the copy the first Python-backed plugin
 * resolves, else the project's. Undefined when neither has one.
 */
async function loadBridge(
  plugins: DiscoveredPlugin[],
  root: string,
): Promise<{ bridge: PythonBridge; dir: string } | undefined> {
  for (const from of [...plugins.map((p) => p.dir), root]) {
    let dir: string;
    try {
      dir = resolvePackageDir("@lolpop/python-bridge", from);
    } catch {
      continue;
    }
    return { bridge: (await import(pathToFileURL(entryOf(dir)).href)) as PythonBridge, dir };
  }
  return undefined;
}

const VERSIONS_PY = `
import json, sys
from importlib import metadata
out = {}
for name in json.loads(sys.argv[1]):
    try:
        out[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        out[name] = None
print(json.dumps({"python": sys.version.split()[0], "packages": out}))
`;

/** Installed versions of Python distributions (null when missing). */
export function pythonVersions(
  python: string,
  names: string[],
): { python: string; packages: Record<string, string | null> } {
  const r = spawnSync(python, ["-c", VERSIONS_PY, JSON.stringify(names)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`${python} failed: ${r.stderr.trim().split("\n").pop()}`);
  return JSON.parse(r.stdout) as { python: string; packages: Record<string, string | null> };
}

/** URLs (http/https) found anywhere in a config, with their YAML paths. */
export function serverUrls(data: unknown, path: string[] = []): Array<{ path: string; url: string }> {
  if (typeof data === "string")
    return /^https?:\/\/[^\s]+$/i.test(data) ? [{ path: path.join("."), url: data }] : [];
  if (Array.isArray(data)) return data.flatMap((v, i) => serverUrls(v, [...path, String(i)]));
  if (data && typeof data === "object")
    return Object.entries(data).flatMap(([k, v]) =>
      k === "tests" && path.length === 0 ? [] : serverUrls(v, [...path, k]),
    );
  return [];
}

/** A URL without credentials, for reports. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      registerSecret(u.password);
      u.username = u.username ? "***" : "";
      u.password = u.password ? "***" : "";
    }
    for (const [k] of u.searchParams) if (/token|key|secret|password/i.test(k)) u.searchParams.set(k, "***");
    return redactText(u.toString());
  } catch {
    return redactText(url);
  }
}

/** Whether a server answers at all (any HTTP status counts as reachable). */
export async function probe(url: string, timeoutMs = 3000): Promise<{ reachable: boolean; detail: string }> {
  try {
    // Reachability only: credentials in the URL are neither needed nor sent.
    const target = new URL(url);
    target.username = "";
    target.password = "";
    const res = await fetch(target, {
      method: "GET",
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
    await res.body?.cancel();
    return { reachable: true, detail: `HTTP ${res.status}` };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    const why =
      (e as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ?? (e as Error).message);
    return { reachable: false, detail: why };
  }
}

/** Where Python-backed components of the config find their interpreter. */
interface PythonSetting {
  /** The components' `python` option, when they set one. */
  python?: string;
  /** Its YAML path, e.g. `train.model_trainer.config.python` (named by errors and checks). */
  optionName?: string;
  /** Components using this setting, with the plugins that provide them. */
  usedBy: Array<{ path: string; plugin: string }>;
}

/**
 * The `python` settings of the config's components whose plugin needs Python, from the validated
 * plan (so nearest-first inheritance applies as in a run), and whether any such component goes
 * without one (and so uses the default interpreter). Undefined when the config does not validate
 * (the config check says why).
 */
async function pythonSettings(
  configFile: string | undefined,
  plugins: DiscoveredPlugin[],
): Promise<{ settings: PythonSetting[]; defaultUsed: boolean } | undefined> {
  if (!configFile || !existsSync(configFile)) return undefined;
  // Validating costs more than the rest of the doctor: only when the config uses a Python-backed type.
  const pythonTypes = new Set(plugins.flatMap((p) => (p.manifest?.components ?? []).map((c) => c.type)));
  try {
    const used = typesUsed((await loadConfigFile(configFile)).data);
    if (![...used].some((t) => pythonTypes.has(t))) return undefined;
  } catch {
    return undefined;
  }
  const names = new Set(plugins.map((p) => p.name));
  let plan: WorkflowPlan;
  try {
    // The doctor has imported every plugin: the registered types are the project's.
    plan = (await loadProject({ configPath: configFile })).plan;
  } catch {
    return undefined;
  }
  const settings: PythonSetting[] = [];
  let defaultUsed = false;
  for (const c of [...plan.components, ...plan.pipelines.flatMap((p) => p.components)]) {
    if (!names.has(c.registered.plugin)) continue;
    const python = c.config.python;
    if (typeof python !== "string" || !python) {
      defaultUsed = true;
      continue;
    }
    const user = { path: c.path, plugin: c.registered.plugin };
    const hit = settings.find((s) => s.python === python);
    if (hit) hit.usedBy.push(user);
    else settings.push({ python, optionName: `${c.path}.config.python`, usedBy: [user] });
  }
  return { settings, defaultUsed };
}

/**
 * Python checks: the interpreter found by @lolpop/python-bridge's `findPython`, exactly as a
 * Python-backed component finds it (its `python` option, `LOLPOP_PYTHON`, `LOLPOP_VENV`, the nearest
 * `.venv` from the project root up, then `python3` on the `PATH`), and the distributions the
 * installed plugins need, checked against their version specifiers in that interpreter.
 */
export async function pythonChecks(d: ProjectDiscovery, configFile?: string): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const declaring = d.plugins.filter((p) => p.status === "ok" && requirementSource(p));
  const loaded = declaring.length ? await loadBridge(declaring, d.root) : undefined;
  if (declaring.length && !loaded)
    return [
      {
        area: "python",
        name: "python",
        status: "warn",
        detail: `${declaring.map((p) => p.name).join(", ")} ${declaring.length === 1 ? "declares" : "declare"} Python requirements, but @lolpop/python-bridge (which finds the interpreter and reads requirements) is not installed, so they cannot be checked`,
        fix: "npm install --save-dev @lolpop/python-bridge (or pnpm add -D @lolpop/python-bridge), then run lolpop doctor again",
      },
    ];
  const bridge = loaded?.bridge;
  const needs = bridge
    ? declaring
        .map((p) => ({ plugin: p, ...pythonRequirements(p, bridge) }))
        .filter((n) => n.requirements.length > 0)
    : [];
  if (!bridge || needs.length === 0)
    return [{ area: "python", name: "python", status: "ok", detail: "no installed plugin needs Python" }];
  const { findPython, installSpec, satisfiesVersion } = bridge;
  // A workflow's components get the config file's folder as their project root.
  const projectRoot = configFile && existsSync(configFile) ? dirname(configFile) : d.root;
  const all = needs.flatMap((n) =>
    n.requirements.map((r) => ({ plugin: n.plugin.name, file: n.file, ...r })),
  );
  // The default interpreter (components without a `python` option, types created on demand) with
  // every requirement, then each interpreter a `python` option names, with its plugins' requirements.
  const fromConfig = await pythonSettings(
    configFile,
    needs.map((n) => n.plugin),
  );
  const settings: PythonSetting[] = [{ usedBy: [] }, ...(fromConfig?.settings ?? [])];
  // Every Python-backed component of the config names its own interpreter: problems of the default
  // one only matter for types created on demand, so they are warnings.
  const defaultOnly = fromConfig !== undefined && fromConfig.settings.length > 0 && !fromConfig.defaultUsed;
  const unused = " (no component of the config uses this interpreter; types created on demand would)";
  const seen = new Set<string>();
  for (const setting of settings) {
    const name = setting.optionName ?? "python";
    const users = setting.usedBy.map((u) => u.path).join(", ");
    const bad = !setting.optionName && defaultOnly ? "warn" : "fail";
    const note = !setting.optionName && defaultOnly ? unused : "";
    let location: PythonLocation;
    try {
      location = findPython({
        projectRoot,
        ...(setting.python ? { python: setting.python, optionName: setting.optionName } : {}),
      });
    } catch (e) {
      checks.push({
        area: "python",
        name,
        status: bad,
        detail: `${users || needs.map((n) => n.plugin.name).join(", ")} need Python: ${(e as Error).message}${note}`,
        fix: setting.python
          ? `fix ${setting.optionName} in ${configFile} (the path of a Python 3.9+ executable)`
          : "install Python 3.10+ and create the project's venv: python3 -m venv .venv, then install the requirements below (or set LOLPOP_PYTHON)",
      });
      continue;
    }
    // An option naming the default interpreter adds nothing new to check.
    if (seen.has(location.path)) continue;
    seen.add(location.path);
    const suffix = setting.optionName ? ` (${setting.optionName})` : "";
    const reqs = setting.optionName
      ? all.filter((r) => setting.usedBy.some((u) => u.plugin === r.plugin))
      : all;
    let found: { python: string; packages: Record<string, string | null> };
    try {
      found = pythonVersions(location.path, [...new Set(reqs.map((r) => r.name))]);
    } catch (e) {
      checks.push({
        area: "python",
        name,
        status: bad,
        detail: `${(e as Error).message}${note}`,
        fix: setting.python
          ? `check ${setting.optionName} in ${configFile}`
          : "check the interpreter (LOLPOP_PYTHON, LOLPOP_VENV or the project's .venv)",
      });
      continue;
    }
    checks.push({
      area: "python",
      name,
      status: "ok",
      detail: `Python ${found.python} at ${location.path} (from ${location.source})${users ? `, used by ${users}` : ""}`,
    });
    for (const r of reqs) {
      const have = found.packages[r.name];
      const ok = typeof have === "string" && satisfiesVersion(have, r.version);
      const line = r.install ?? installSpec(r);
      checks.push({
        area: "python",
        name: `${r.name}${suffix}`,
        status: ok ? "ok" : bad,
        detail: `${r.plugin} needs ${line}; ${have ? `installed ${have}` : "not installed"}${ok ? "" : note}`,
        ...(ok ? {} : { fix: `${location.path} -m pip install ${r.file ? `-r ${r.file}` : `'${line}'`}` }),
      });
    }
  }
  return checks;
}

/** Runs every check. */
export async function runDoctor(args: {
  discovery: ProjectDiscovery;
  cli: CliInfo;
  configFile?: string;
}): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const d = args.discovery;
  const major = Number(process.versions.node.split(".")[0]);
  checks.push(
    major >= 20
      ? { area: "node", name: "node", status: "ok", detail: `Node ${process.versions.node}` }
      : {
          area: "node",
          name: "node",
          status: "fail",
          detail: `Node ${process.versions.node} is too old`,
          fix: "install Node 20 or newer",
        },
  );
  checks.push({
    area: "cli",
    name: "@lolpop/cli",
    status: "ok",
    detail: `${args.cli.version} at ${args.cli.path}${args.cli.handedOffFrom ? ` (the global lolpop at ${args.cli.handedOffFrom} handed off to it)` : ""}`,
  });
  if (d.cores.length === 0)
    checks.push({
      area: "core",
      name: "@lolpop/core",
      status: "fail",
      detail: `the project does not resolve @lolpop/core (the CLI uses its own ${CORE_VERSION})`,
      fix: "npm install @lolpop/core (plugins list it as a peer dependency)",
    });
  for (const c of d.cores)
    checks.push({
      area: "core",
      name: "@lolpop/core",
      status: d.duplicateCore ? "fail" : "ok",
      detail: `${c.version} at ${c.path} (used by ${c.usedBy.join(", ")}; plugin API ${PLUGIN_API_VERSION})`,
      ...(d.duplicateCore
        ? {
            fix:
              d.problems
                .filter((p) => p.message.includes(c.path))
                .map((p) => p.fix)
                .join("; ") || "see the other @lolpop/core copies",
          }
        : {}),
    });
  // Plugins: import each usable one to prove it loads (heavy dependencies load lazily, never at import).
  for (const p of d.plugins) {
    if (p.status === "ok") {
      try {
        await importPlugin(p);
      } catch (e) {
        p.status = (e as { code?: string }).code === "plugin_incompatible" ? "incompatible" : "broken";
        p.error = (e as Error).message;
        p.fix = `reinstall ${p.name} or upgrade it; run \`LOLPOP_DEBUG=1 node -e "import('${p.name}')"\` in the project to see the full error`;
      }
    }
    checks.push({
      area: "plugin",
      name: p.name,
      status: p.status === "ok" ? (p.warnings.length ? "warn" : "ok") : "fail",
      detail:
        p.status === "ok"
          ? `${p.version}: ${(p.manifest?.components ?? []).map((c) => c.type).join(", ")}${p.warnings.length ? `; ${p.warnings.join("; ")}` : ""}`
          : `${p.status}: ${p.error}`,
      ...(p.status !== "ok" && p.fix ? { fix: p.fix } : {}),
      ...(p.status === "ok" && p.warnings.length
        ? { fix: "see the warnings; `lolpop plugins list` shows them too" }
        : {}),
    });
  }
  // Copies of core that actually initialized in this process while importing the plugins.
  const loaded = coreCopies();
  if (loaded.length > 1)
    checks.push({
      area: "core",
      name: "loaded copies",
      status: "fail",
      detail: `importing the plugins loaded ${loaded.length} copies of @lolpop/core: ${loaded.map((c) => `${c.version} (${c.path})`).join(", ")}`,
      fix: "keep one @lolpop/core in the project (plugins list it under peerDependencies); see the @lolpop/core lines above",
    });
  for (const c of d.conflicts)
    checks.push({
      area: "plugin",
      name: c.type,
      status: "warn",
      detail: `type ${c.type} is provided by ${c.plugins.join(" and ")}`,
      fix: `write the qualified name (${c.plugins.map((n) => `${n}/${c.type}`).join(" or ")}) in the config`,
    });
  if (d.missing.length)
    checks.push({
      area: "plugin",
      name: "dependencies",
      status: "fail",
      detail: `not installed: ${d.missing.join(", ")}`,
      fix: "run `npm install` (or `pnpm install`)",
    });

  // The config as `validate` sees it, the files it reads, and what its components need here.
  if (args.configFile && existsSync(args.configFile)) checks.push(...(await configChecks(args.configFile)));
  else if (args.configFile)
    checks.push({
      area: "config",
      name: args.configFile,
      status: "fail",
      detail: `${args.configFile} does not exist`,
      fix: "pass the workflow config: lolpop doctor path/to/lolpop.yaml",
    });

  // Python: the interpreter each Python-backed component will use, and the modules plugins need.
  checks.push(...(await pythonChecks(d, args.configFile)));

  // Servers named in the config.
  if (args.configFile && existsSync(args.configFile)) {
    try {
      const source = await loadConfigFile(args.configFile);
      const resolved = resolveConfig(source);
      const urls = serverUrls(resolved.data);
      if (urls.length === 0)
        checks.push({ area: "server", name: "servers", status: "ok", detail: "the config names no server" });
      for (const u of urls) {
        const r = await probe(u.url);
        checks.push({
          area: "server",
          name: u.path,
          status: r.reachable ? "ok" : "fail",
          detail: `${safeUrl(u.url)}: ${r.reachable ? `reachable (${r.detail})` : `unreachable (${redactText(r.detail)})`}`,
          ...(r.reachable
            ? {}
            : {
                fix: `start the server or fix ${u.path} in ${args.configFile} (check host, port and network)`,
              }),
        });
      }
    } catch (e) {
      checks.push({
        area: "config",
        name: args.configFile,
        status: "fail",
        detail: redactText((e as Error).message),
        fix: "run `lolpop validate` for every problem with its line",
      });
    }
  }
  return { ok: checks.every((c) => c.status !== "fail"), checks };
}

/**
 * The config and what it needs on this machine: every check of `lolpop validate` (one failed check
 * per issue, with file and line), the files its data connectors read, and each component's own
 * `checkEnvironment` (optional packages, native backends). The doctor has imported every plugin
 * first, so the registered types are the project's.
 */
export async function configChecks(configFile: string): Promise<DoctorCheck[]> {
  let plan: WorkflowPlan;
  try {
    plan = (await loadProject({ configPath: configFile })).plan;
  } catch (e) {
    if (ConfigError.isInstance(e))
      return e.issues.map((i) => ({
        area: "config",
        name: i.path || configFile,
        status: "fail",
        detail: redactText(formatConfigIssue(i)),
        fix: "fix the config at that line (`lolpop validate` lists the same problems)",
      }));
    return [
      {
        area: "config",
        name: configFile,
        status: "fail",
        detail: redactText((e as Error).message),
        fix: "run `lolpop validate` for the problem with its line",
      },
    ];
  }
  const checks: DoctorCheck[] = [
    { area: "config", name: configFile, status: "ok", detail: "valid (every check of `lolpop validate`)" },
  ];
  const root = dirname(resolve(configFile));
  for (const c of [...plan.components, ...plan.pipelines.flatMap((p) => p.components)]) {
    const file = c.kind === "data_connector" ? c.config.path : undefined;
    if (typeof file === "string" && file && !/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
      const full = resolve(root, file);
      checks.push(
        existsSync(full)
          ? { area: "files", name: `${c.path}.config.path`, status: "ok", detail: full }
          : {
              area: "files",
              name: `${c.path}.config.path`,
              status: "fail",
              detail: `${full} does not exist (a run reads it)`,
              fix: `create the file, or fix ${c.path}.config.path in ${configFile} (relative paths start at the config's folder)`,
            },
      );
    }
    const check = c.registered.definition.checkEnvironment;
    if (!check) continue;
    let issues: readonly { message: string; fix?: string; level?: "fail" | "warn" }[];
    try {
      issues = await check(c.config, { path: c.path, projectRoot: root });
    } catch (e) {
      issues = [{ message: `its environment check failed: ${(e as Error).message}` }];
    }
    for (const i of issues)
      checks.push({
        area: "env",
        name: c.path,
        status: i.level === "warn" ? "warn" : "fail",
        detail: `${c.type}: ${redactText(i.message)}`,
        ...(i.fix ? { fix: i.fix } : {}),
      });
    if (!issues.length)
      checks.push({ area: "env", name: c.path, status: "ok", detail: `${c.type}: ready on this machine` });
  }
  return checks;
}

/** Text for people. */
export function renderDoctor(r: DoctorReport): string {
  const mark = { ok: "ok  ", warn: "WARN", fail: "FAIL" } as const;
  const lines = r.checks.map(
    (c) =>
      `${mark[c.status]}  ${c.area.padEnd(6)} ${c.name}: ${c.detail}${c.fix && c.status !== "ok" ? `\n      fix: ${c.fix}` : ""}`,
  );
  const problems = r.checks.filter((c) => c.status === "fail").length;
  const warnings = r.checks.filter((c) => c.status === "warn").length;
  lines.push(
    "",
    problems
      ? `${problems} problem(s), ${warnings} warning(s)`
      : `no problems${warnings ? `, ${warnings} warning(s)` : ""}`,
  );
  return lines.join("\n");
}
