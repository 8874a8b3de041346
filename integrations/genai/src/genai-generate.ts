/**
 * What `lolpop generate docs|tests <target>` does, apart from parsing its arguments: resolve the
 * target through the host's plugin discovery (a type, a plugin package, or the project's workflow),
 * collect its facts, ask the model (or print the exact request with `--dry-run`), and turn the answer
 * into file changes that are shown as a diff and written only with `--write`.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import {
  type AnyDefinition,
  didYouMean,
  parseConfigText,
  resolveType,
  typesUsed,
  writeFileAtomic,
} from "@lolpop/core";
import type {
  PluginCommandDiscoverOptions,
  PluginCommandPlugin,
  PluginCommandPlugins,
} from "@lolpop/core/manifest";
import { unifiedDiff } from "./genai-diff.js";
import {
  applyDocComment,
  applyReadmeSection,
  type ComponentDocs,
  docsRequest,
  generateComponentDocs,
  renderDocComment,
  renderReadmeSection,
} from "./genai-docs.js";
import { formatDryRun } from "./genai-dry-run.js";
import {
  type ComponentFacts,
  collectComponentFacts,
  collectWorkflowFacts,
  definitionRange,
  type WorkflowFacts,
} from "./genai-facts.js";
import { createLanguageModel } from "./genai-settings.js";
import { GenaiSetupError } from "./genai-setup-error.js";
import { type DroppedCase, generateComponentTests, testsRequest } from "./genai-tests.js";
import type { GenerateObjectRequest, GenerateObjectResult, LanguageModel } from "./genai-types.js";
import {
  generateWorkflowDocs,
  renderWorkflowSection,
  type WorkflowTypeFacts,
  workflowDocsRequest,
  workflowSectionKey,
} from "./genai-workflow-docs.js";
import { generateWorkflowTests, workflowTestsRequest } from "./genai-workflow-tests.js";

/** What the command runs in: the host's folders, discovery and output (a plugin command's context). */
export interface GenerateHost {
  cwd: string;
  projectRoot: string;
  discoverPlugins: (options?: PluginCommandDiscoverOptions) => Promise<PluginCommandPlugins>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** A parsed `generate` invocation. */
export interface GenerateRequest {
  what: "docs" | "tests";
  /** A type name (bare or `plugin/Type`), a plugin package name (`.` for this package), `workflow` or a YAML file. */
  target: string;
  /** Provider settings (see `genaiSettingsSchema`), already merged from file and flags. */
  settings: unknown;
  /** Where the settings came from, for error messages. */
  settingsWhere?: string;
  /** The workflow config (for `workflow` and for its `plugins:` list). Default `lolpop.yaml` in the project. */
  config?: string;
  /** Tests: most config cases asked of the model. Default 6. */
  maxCases?: number;
  dryRun?: boolean;
  write?: boolean;
  json?: boolean;
  /** The model to use instead of creating one from `settings` (tests, embedding hosts). */
  model?: LanguageModel;
}

/** One file the command would change. */
export interface FileChange {
  /** Absolute path. */
  file: string;
  before: string;
  after: string;
}

/** A path for people: relative to `cwd` when it is inside it, else absolute. */
function shown(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith("..") && !rel.startsWith(sep) ? rel : file;
}

/** Resolved target. */
type Target =
  | { kind: "type"; type: string; plugin: PluginCommandPlugin; found: PluginCommandPlugins }
  | { kind: "plugin"; plugin: PluginCommandPlugin; found: PluginCommandPlugins }
  | { kind: "workflow"; configFile: string };

/** A usage or setup problem (the command exits 2 on every GenaiSetupError). */
function usage(message: string, code = "genai_usage"): GenaiSetupError {
  return new GenaiSetupError({ message, code });
}

/** The workflow config: the given one, else lolpop.yaml / lolpop.yml in the current folder or the project root. */
function findConfig(host: GenerateHost, explicit: string | undefined): string | undefined {
  if (explicit) return resolve(host.cwd, explicit);
  for (const dir of [host.cwd, host.projectRoot])
    for (const name of ["lolpop.yaml", "lolpop.yml"]) if (existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/** Every plugin visible to the command: the project's own package first (when it is a plugin), then its dependencies. */
async function visiblePlugins(
  host: GenerateHost,
  config: string | undefined,
): Promise<Array<{ plugin: PluginCommandPlugin; found: PluginCommandPlugins }>> {
  const out: Array<{ plugin: PluginCommandPlugin; found: PluginCommandPlugins }> = [];
  const pkgFile = join(host.projectRoot, "package.json");
  if (existsSync(pkgFile)) {
    let own: Record<string, unknown> = {};
    try {
      own = JSON.parse(readFileSync(pkgFile, "utf8")) as Record<string, unknown>;
    } catch {}
    if (own.lolpop !== undefined) {
      const self = await host.discoverPlugins({ pluginList: ["."] });
      for (const plugin of self.plugins) out.push({ plugin, found: self });
    }
  }
  const configFile = findConfig(host, config);
  const deps = await host.discoverPlugins(configFile && existsSync(configFile) ? { configFile } : {});
  for (const plugin of deps.plugins)
    if (!out.some((o) => o.plugin.name === plugin.name)) out.push({ plugin, found: deps });
  return out;
}

async function resolveTarget(req: GenerateRequest, host: GenerateHost): Promise<Target> {
  const t = req.target;
  if (t === "workflow" || /\.ya?ml$/i.test(t)) {
    const configFile = /\.ya?ml$/i.test(t) ? resolve(host.cwd, t) : findConfig(host, req.config);
    if (!configFile || !existsSync(configFile))
      throw usage(
        configFile
          ? `no workflow config at ${configFile}: pass the path of your lolpop.yaml (lolpop generate ${req.what} path/to/lolpop.yaml)`
          : `no lolpop.yaml in ${host.cwd} or ${host.projectRoot}: pass the path of your workflow config (lolpop generate ${req.what} path/to/lolpop.yaml)`,
        "genai_workflow_not_found",
      );
    return { kind: "workflow", configFile };
  }
  const visible = await visiblePlugins(host, req.config);
  const byName = t === "." ? visible.find((v) => v.plugin.dir === realDir(host.projectRoot)) : undefined;
  const plugin = byName ?? visible.find((v) => v.plugin.name === t);
  if (t === "." && !plugin)
    throw usage(
      `"." is the project's own package, but ${join(host.projectRoot, "package.json")} carries no lolpop plugin manifest.`,
    );
  if (plugin) {
    checkUsable(plugin.plugin);
    return { kind: "plugin", plugin: plugin.plugin, found: plugin.found };
  }
  const slash = t.lastIndexOf("/");
  const bare = slash > 0 ? t.slice(slash + 1) : t;
  const qualifier = slash > 0 ? t.slice(0, slash) : undefined;
  const owners = visible.filter(
    (v) =>
      (qualifier === undefined || v.plugin.name === qualifier) &&
      v.plugin.components.some((c) => c.type === bare),
  );
  if (owners.length === 0) {
    const names = [
      ...visible.flatMap((v) => v.plugin.components.map((c) => c.type)),
      ...visible.map((v) => v.plugin.name),
      "workflow",
    ];
    const guess = didYouMean(bare, names, 2);
    throw usage(
      `no installed plugin provides "${t}", and no plugin has that name${guess.length ? `: did you mean ${guess.map((g) => `"${g}"`).join(" or ")}?` : "."} Targets are a component, pipeline or runner type, a plugin package listed in the project's package.json, "." for this package, or "workflow". \`lolpop plugins list\` shows what is installed.`,
      "genai_unknown_target",
    );
  }
  if (owners.length > 1)
    throw usage(
      `the type ${bare} is provided by ${owners.map((o) => o.plugin.name).join(" and ")}: write ${owners.map((o) => `${o.plugin.name}/${bare}`).join(" or ")}.`,
      "genai_ambiguous_target",
    );
  checkUsable(owners[0]!.plugin);
  return { kind: "type", type: bare, plugin: owners[0]!.plugin, found: owners[0]!.found };
}

function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

function checkUsable(p: PluginCommandPlugin): void {
  if (p.status !== "ok")
    throw usage(`plugin ${p.name} cannot be used: ${p.error ?? p.status}`, "genai_plugin_unusable");
}

/** Imports the plugin and returns the facts of one of its types. */
async function typeFacts(plugin: PluginCommandPlugin, found: PluginCommandPlugins, type: string) {
  const failures = await found.loadTypes(new Set([type]));
  const failure = failures.find((f) => f.plugin === plugin.name);
  if (failure) throw usage(`plugin ${plugin.name} failed to load: ${failure.error}`, "genai_plugin_unusable");
  const reg = resolveType(`${plugin.name}/${type}`);
  if (!reg)
    throw usage(
      `plugin ${plugin.name} lists ${type} in its manifest but does not define it: update lolpop.components in its package.json (or rebuild it).`,
      "genai_unknown_target",
    );
  return collectComponentFacts({
    definition: reg.definition as AnyDefinition,
    packageDir: plugin.dir,
    plugin: { name: plugin.name, version: plugin.version },
  });
}

/**
 * A file of a package that `--write` may change: it exists and is not inside `node_modules` (an
 * installed copy is regenerated by the next install; docs belong in the package's own source).
 */
function writableFile(pkgDir: string, rel: string, what: string, plugin: string): string {
  const file = join(pkgDir, rel);
  const real = existsSync(file) ? realpathSync(file) : resolve(file);
  if (real.split(sep).includes("node_modules"))
    throw usage(
      `${plugin} is installed at ${pkgDir} (inside node_modules): ${what} are written into a package's own source, not into an installed copy. Run this in ${plugin}'s own repository (or link it into the project).`,
      "genai_not_writable",
    );
  return file;
}

function sourceFile(facts: ComponentFacts, plugin: PluginCommandPlugin): string {
  if (!facts.source)
    throw usage(
      `the source of ${facts.type} was not found in ${plugin.dir} (no src/ file names it with type: "${facts.type}"): docs and tests are written next to the definition.`,
      "genai_definition_not_found",
    );
  const file = writableFile(plugin.dir, facts.source.file, "doc comments", plugin.name);
  if (!existsSync(file))
    throw usage(
      `${facts.type} is defined in ${facts.source.file}, known only from ${plugin.name}'s source maps: run this in its repository, where ${facts.source.file} exists.`,
      "genai_definition_not_found",
    );
  return file;
}

/** What one generation produced. */
export interface GenerateOutcome {
  ok: boolean;
  what: "docs" | "tests";
  target: { kind: "type" | "plugin" | "workflow"; name: string; plugin?: string };
  provider: string;
  model: string;
  dryRun: boolean;
  written: boolean;
  /** The changes, with their diff (paths relative to the current folder). */
  files: Array<{ file: string; diff: string; written: boolean }>;
  /** Test cases that were proposed but are not in the file, and why. */
  dropped: DroppedCase[];
  /** Why the result is not offered (tests that failed, type errors). */
  problems: string[];
  /** The requests (dry run: what would be sent). */
  requests: Array<{ label: string; preview: string }>;
  usage: { promptTokens: number; completionTokens: number; elapsedMs: number; answers: number };
}

class Run {
  readonly outcome: GenerateOutcome;
  readonly changes = new Map<string, FileChange>();

  constructor(
    readonly req: GenerateRequest,
    readonly host: GenerateHost,
    readonly model: LanguageModel,
    target: GenerateOutcome["target"],
  ) {
    this.outcome = {
      ok: true,
      what: req.what,
      target,
      provider: model.provider,
      model: model.model,
      dryRun: !!req.dryRun,
      written: false,
      files: [],
      dropped: [],
      problems: [],
      requests: [],
      usage: { promptTokens: 0, completionTokens: 0, elapsedMs: 0, answers: 0 },
    };
  }

  note(text: string): void {
    if (!this.req.json) this.host.stderr(`${text}\n`);
  }

  /** Dry run: records the request and returns false; else true (ask the model). */
  preview(label: string, request: GenerateObjectRequest): boolean {
    if (!this.req.dryRun) return true;
    this.outcome.requests.push({ label, preview: formatDryRun(this.model, request) });
    return false;
  }

  counted<T>(label: string, result: GenerateObjectResult<T>): void {
    const u = this.outcome.usage;
    u.promptTokens += result.usage.promptTokens ?? 0;
    u.completionTokens += result.usage.completionTokens ?? 0;
    u.elapsedMs += result.elapsedMs;
    u.answers++;
    this.note(
      `${label}: answered in ${(result.elapsedMs / 1000).toFixed(1)} s (${result.usage.completionTokens ?? "?"} tokens${result.repaired ? ", after one repair round" : ""})`,
    );
  }

  /** The current text of a file (as changed so far in this run). */
  text(file: string): string {
    return this.changes.get(file)?.after ?? (existsSync(file) ? readFileSync(file, "utf8") : "");
  }

  change(file: string, after: string): void {
    const prev = this.changes.get(file);
    this.changes.set(file, {
      file,
      before: prev?.before ?? (existsSync(file) ? readFileSync(file, "utf8") : ""),
      after,
    });
  }
}

async function docsForType(
  run: Run,
  plugin: PluginCommandPlugin,
  found: PluginCommandPlugins,
  type: string,
): Promise<void> {
  const facts = await typeFacts(plugin, found, type);
  const request = docsRequest(facts);
  if (!run.preview(`docs of ${type}`, request)) return;
  // Checked before the model is asked: where the answer goes must exist and be the package's own.
  const file = sourceFile(facts, plugin);
  const readme = writableFile(plugin.dir, "README.md", "README sections", plugin.name);
  run.note(`asking ${run.model.provider} model ${run.model.model} for the docs of ${type}...`);
  const { docs, result } = await generateComponentDocs(run.model, facts);
  run.counted(type, result);
  applyComponentDocs(run, facts, docs, file, readme);
}

function applyComponentDocs(
  run: Run,
  facts: ComponentFacts,
  docs: ComponentDocs,
  file: string,
  readme: string,
): void {
  run.change(
    file,
    applyDocComment(run.text(file), facts.type, renderDocComment(facts, docs), shown(run.host.cwd, file)),
  );
  run.change(
    readme,
    applyReadmeSection(
      run.text(readme),
      facts.type,
      renderReadmeSection(facts, docs),
      shown(run.host.cwd, readme),
    ),
  );
}

async function docsForWorkflow(run: Run, configFile: string): Promise<void> {
  const facts: WorkflowFacts = collectWorkflowFacts(configFile);
  const types = await workflowTypes(run.host, configFile, facts);
  const request = workflowDocsRequest(facts, types);
  const readme = join(dirname(configFile), "README.md");
  if (!run.preview(`docs of the workflow ${basename(configFile)}`, request)) return;
  run.note(
    `asking ${run.model.provider} model ${run.model.model} for the docs of ${basename(configFile)}...`,
  );
  const { docs, result } = await generateWorkflowDocs(run.model, facts, types);
  run.counted(basename(configFile), result);
  run.change(
    readme,
    applyReadmeSection(
      run.text(readme),
      workflowSectionKey(facts),
      renderWorkflowSection(facts, types, docs),
      shown(run.host.cwd, readme),
    ),
  );
}

/** Kind and description of each type the workflow uses, from the plugins that provide them (imported). */
async function workflowTypes(
  host: GenerateHost,
  configFile: string,
  facts: WorkflowFacts,
): Promise<Record<string, WorkflowTypeFacts>> {
  const data = parseConfigText(readFileSync(configFile, "utf8"), configFile).data;
  const used = typesUsed(data);
  const found = await host.discoverPlugins({ configFile });
  await found.loadTypes(used);
  const names = [
    ...(facts.runner ? [facts.runner] : []),
    ...Object.values(facts.pipelines),
    ...Object.values(facts.components),
  ];
  const out: Record<string, WorkflowTypeFacts> = {};
  for (const name of names) {
    let reg: ReturnType<typeof resolveType>;
    try {
      reg = resolveType(name);
    } catch {
      reg = undefined;
    }
    if (!reg) continue;
    out[name] = {
      kind: reg.definition.kind,
      ...(reg.definition.description ? { description: reg.definition.description } : {}),
      plugin: reg.plugin,
    };
  }
  return out;
}

/** The exported name of the definition of `type` in its source (`export const NAME = ...`). */
function exportNameOf(facts: ComponentFacts, text: string, rel: string): string {
  const range = definitionRange(text, facts.type);
  const line = range ? text.split("\n")[range.start]! : "";
  const m = /^export\s+const\s+([A-Za-z_$][\w$]*)/.exec(line);
  if (!m)
    throw usage(
      `${rel}: the definition of ${facts.type} is not an exported const (export const x = defineComponent({...})): the generated test imports it by name.`,
      "genai_definition_not_exported",
    );
  return m[1]!;
}

async function testsForType(
  run: Run,
  plugin: PluginCommandPlugin,
  found: PluginCommandPlugins,
  type: string,
): Promise<void> {
  const facts = await typeFacts(plugin, found, type);
  if (facts.kind === "pipeline" || facts.kind === "runner")
    throw usage(
      `${type} is a ${facts.kind}: generate tests writes component tests (a ${facts.kind} is tested through a workflow: lolpop generate tests workflow).`,
      "genai_unsupported_target",
    );
  if (facts.options.length === 0 && run.req.dryRun) {
    run.outcome.requests.push({
      label: `config cases of ${type}`,
      preview: `Nothing would be sent: ${type} has no config options, so the test file holds lolpop's conformance suite only.\n`,
    });
    return;
  }
  const maxCases = run.req.maxCases;
  const asked = maxCases === undefined ? {} : { maxCases };
  if (facts.options.length > 0 && !run.preview(`config cases of ${type}`, testsRequest(facts, asked))) return;
  const source = sourceFile(facts, plugin);
  const rel = relative(plugin.dir, source);
  const exportName = exportNameOf(facts, readFileSync(source, "utf8"), rel);
  const base = basename(rel).replace(/\.(m?ts|tsx)$/, "");
  const testRel = join(dirname(rel), `${base}.genai.test.ts`);
  run.note(
    facts.options.length
      ? `asking ${run.model.provider} model ${run.model.model} for config cases of ${type}...`
      : `${type} has no config options: the file holds lolpop's conformance suite only.`,
  );
  const out = await generateComponentTests(run.model, facts, {
    packageDir: plugin.dir,
    file: testRel,
    importFrom: `./${base}.js`,
    exportName,
    ...asked,
  });
  if (out.result) run.counted(type, out.result);
  run.outcome.dropped.push(...out.dropped);
  run.note(
    `checked ${testRel}: type check ${(out.verification.ms.typecheck / 1000).toFixed(1)} s, run ${(out.verification.ms.run / 1000).toFixed(1)} s; ${out.verification.tests.filter((t) => t.status === "passed").length} tests passed, ${out.cases.length} config cases kept, ${out.dropped.length} dropped`,
  );
  if (!out.offer) {
    run.outcome.ok = false;
    run.outcome.problems.push(
      ...out.typeErrors.map((e) => `type error: ${e}`),
      ...out.failures.map((f) => `failed: ${f.title}${f.message ? `\n    ${f.message.split("\n")[0]}` : ""}`),
    );
    if (out.verification.tests.length === 0 && out.typeErrors.length === 0)
      run.outcome.problems.push("the generated file ran no test");
    return;
  }
  run.change(join(plugin.dir, testRel), out.text);
}

async function testsForWorkflow(run: Run, configFile: string): Promise<void> {
  const facts: WorkflowFacts = collectWorkflowFacts(configFile);
  const types = await workflowTypes(run.host, configFile, facts);
  const maxCases = run.req.maxCases;
  const asked = maxCases === undefined ? {} : { maxCases };
  const name = basename(configFile);
  if (!run.preview(`workflow hooks of ${name}`, workflowTestsRequest(facts, types, asked))) return;
  run.note(`asking ${run.model.provider} model ${run.model.model} for workflow hooks of ${name}...`);
  const out = await generateWorkflowTests(run.model, facts, types, {
    ...asked,
    projectRoot: run.host.projectRoot,
  });
  run.counted(name, out.result);
  run.outcome.dropped.push(...out.dropped);
  run.note(
    `checked with lolpop test (${out.runs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(", then ")}): ${out.hooks.length} hooks kept, ${out.dropped.length} dropped`,
  );
  if (!out.offer) {
    run.outcome.ok = false;
    run.outcome.problems.push(...out.problems);
    return;
  }
  for (const [file, text] of Object.entries(out.files)) run.change(file, text);
}

/**
 * Runs `generate`. The outcome lists the changes (with diffs); files are written only with
 * `write` (each atomically, after every change was computed: a failure leaves nothing half-written).
 * @throws GenaiSetupError (exit 2) for a bad target or setup; provider errors (exit 1) pass through.
 */
export async function runGenerate(req: GenerateRequest, host: GenerateHost): Promise<GenerateOutcome> {
  if (req.dryRun && req.write) throw usage("--dry-run and --write exclude each other: pick one.");
  const target = await resolveTarget(req, host);
  const model =
    req.model ??
    createLanguageModel(req.settings, { env: host.env, where: req.settingsWhere ?? "genai settings" });
  const label =
    target.kind === "workflow"
      ? { kind: target.kind, name: shown(host.cwd, target.configFile) }
      : target.kind === "plugin"
        ? { kind: target.kind, name: target.plugin.name, plugin: target.plugin.name }
        : { kind: target.kind, name: target.type, plugin: target.plugin.name };
  const run = new Run(req, host, model, label);
  try {
    if (req.what === "docs") {
      if (target.kind === "workflow") await docsForWorkflow(run, target.configFile);
      else if (target.kind === "type") await docsForType(run, target.plugin, target.found, target.type);
      else {
        if (target.plugin.components.length === 0)
          throw usage(`plugin ${target.plugin.name} defines no component, pipeline or runner type.`);
        for (const c of target.plugin.components) await docsForType(run, target.plugin, target.found, c.type);
      }
    } else {
      if (target.kind === "workflow") await testsForWorkflow(run, target.configFile);
      else if (target.kind === "type") await testsForType(run, target.plugin, target.found, target.type);
      else
        for (const c of target.plugin.components)
          if (c.kind !== "pipeline" && c.kind !== "runner")
            await testsForType(run, target.plugin, target.found, c.type);
    }
  } finally {
    if (!req.model) await model.close();
  }
  const changes = [...run.changes.values()].filter((c) => c.after !== c.before);
  for (const c of changes)
    run.outcome.files.push({
      file: shown(host.cwd, c.file),
      diff: unifiedDiff(shown(host.cwd, c.file), c.before, c.after),
      written: false,
    });
  if (req.write && run.outcome.ok) {
    for (const [i, c] of changes.entries()) {
      await writeFileAtomic(c.file, c.after);
      run.outcome.files[i]!.written = true;
    }
    run.outcome.written = changes.length > 0;
  }
  return run.outcome;
}

/** The outcome for people: dry-run previews, or diffs and what to do next. */
export function renderOutcome(o: GenerateOutcome): string {
  const out: string[] = [];
  if (o.dryRun) {
    for (const r of o.requests) out.push(`=== ${r.label} ===`, r.preview);
    return out.join("\n");
  }
  for (const f of o.files) out.push(f.diff.trimEnd());
  if (o.dropped.length) {
    out.push("", `Cases left out (${o.dropped.length}):`);
    for (const d of o.dropped) out.push(`  - ${d.name}: ${d.option ?? "?"} = ${d.value}: ${d.reason}`);
  }
  if (!o.ok) {
    out.push("", "Nothing offered: the generated tests did not pass:", ...o.problems.map((p) => `  - ${p}`));
    return `${out.join("\n")}\n`;
  }
  out.push("");
  if (o.files.length === 0) out.push("Nothing to change: the files already hold this text.");
  else if (o.written) out.push(`Wrote ${o.files.map((f) => f.file).join(", ")}.`);
  else out.push(`Run again with --write to apply these changes to ${o.files.map((f) => f.file).join(", ")}.`);
  return `${out.join("\n")}\n`;
}
