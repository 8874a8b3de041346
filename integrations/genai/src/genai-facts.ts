/**
 * Facts about a component, pipeline or runner type, collected from what is true rather than asked
 * of the model: its kind's contract (the interface declared by @lolpop/core), its config schema and
 * defaults, and the source of its definition (from the package's `src/`, or the `sourcesContent` of
 * its published source maps). No data is read: only code, schemas and config.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { type AnyDefinition, CONTRACT_METHODS, type JsonSchema, resolveType } from "@lolpop/core";
import { parseDocument } from "yaml";
import { scrubForPrompt, yamlForPrompt } from "./genai-privacy.js";
import { GenaiSetupError } from "./genai-setup-error.js";

/** One config option, read from the schema. */
export interface ConfigOptionFacts {
  name: string;
  /** Type as written in docs, e.g. `string`, `number`, `"info" \| "warn"`, `object`. */
  type: string;
  required: boolean;
  /** The schema's default, when it has one. */
  default?: unknown;
  /** The schema's description, when it has one. */
  description?: string;
}

/** The contract the type implements. */
export interface ContractFacts {
  kind: string;
  /** Methods the kind requires (for pipelines: the component kinds they need; runners: their pipelines). */
  methods: string[];
  /** The TypeScript interface of the kind as declared by @lolpop/core, when found. */
  declaration?: string;
}

/** Where the type is defined and the text sent. */
export interface SourceFacts {
  /** File, relative to the package folder. */
  file: string;
  /** 1-based line of the definition's first line (its doc comment excluded). */
  line: number;
  /** The definition's text (secrets scrubbed), possibly cut. */
  text: string;
  /** True when the definition was longer than `maxSourceChars` and was cut. */
  truncated: boolean;
}

/** Everything true about a type that a prompt may use. */
export interface ComponentFacts {
  type: string;
  /** Component kind, or `pipeline` / `runner`. */
  kind: string;
  /** The definition's one-line description. */
  description?: string;
  plugin?: { name: string; version?: string; dir?: string };
  configSchema: JsonSchema;
  options: ConfigOptionFacts[];
  contract: ContractFacts;
  source?: SourceFacts;
}

/** Options of {@link collectComponentFacts}. */
export interface CollectFactsOptions {
  /** The definition (from `resolveType(type).definition`, or imported from the package). */
  definition: AnyDefinition;
  /** Folder of the package that defines the type (for its source). */
  packageDir?: string;
  /** Name and version of that package. */
  plugin?: { name: string; version?: string };
  /** Longest definition source sent, in characters. Default 8000. */
  maxSourceChars?: number;
}

/** Default of {@link CollectFactsOptions.maxSourceChars}. */
export const DEFAULT_MAX_SOURCE_CHARS = 8000;

function typeText(schema: Record<string, unknown> | undefined): string {
  if (!schema) return "any";
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const t = schema.type;
  if (Array.isArray(t)) return t.join(" | ");
  if (t === "array") {
    const items = schema.items as Record<string, unknown> | undefined;
    const inner = typeText(items);
    return inner.includes("|") ? `(${inner})[]` : `${inner}[]`;
  }
  if (typeof t === "string") return t;
  for (const k of ["oneOf", "anyOf"]) {
    const alts = schema[k];
    if (Array.isArray(alts)) return alts.map((a) => typeText(a as Record<string, unknown>)).join(" | ");
  }
  return "any";
}

/** The config options a schema declares, in declaration order. */
export function configOptions(schema: JsonSchema): ConfigOptionFacts[] {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(props).map(([name, s]) => {
    const o: ConfigOptionFacts = { name, type: typeText(s), required: required.has(name) };
    if (s && "default" in s) o.default = s.default;
    if (s && typeof s.description === "string") o.description = s.description;
    return o;
  });
}

let coreDeclarations: string | undefined;

/**
 * The text of @lolpop/core's bundled declarations: its `types` file and the declaration chunks next
 * to it (the bundler splits declarations shared by core's entry points into their own files).
 */
function coreDts(): string | undefined {
  if (coreDeclarations !== undefined) return coreDeclarations || undefined;
  try {
    const pkgJson = createRequire(import.meta.url).resolve("@lolpop/core/package.json");
    const types =
      (JSON.parse(readFileSync(pkgJson, "utf8")) as { types?: string }).types ?? "dist/index.d.ts";
    const main = join(dirname(pkgJson), types);
    const dir = dirname(main);
    const chunks = readdirSync(dir)
      .filter((n) => n.endsWith(".d.ts") && join(dir, n) !== main)
      .sort()
      .map((n) => readFileSync(join(dir, n), "utf8"));
    coreDeclarations = [readFileSync(main, "utf8"), ...chunks].join("\n");
  } catch {
    coreDeclarations = "";
  }
  return coreDeclarations || undefined;
}

/** From `start` (an opening brace), the index just after its matching closing brace. */
function matchBrace(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return i + 1;
  }
  return text.length;
}

/** `interface Name { ... }` with its doc comment, from a declaration file. */
export function interfaceDeclaration(dts: string, name: string): string | undefined {
  const m = new RegExp(`(^|\\n)((?:export )?(?:declare )?interface ${name}\\b[^{]*)\\{`).exec(dts);
  if (!m) return undefined;
  const declStart = m.index + m[1]!.length;
  const end = matchBrace(dts, m.index + m[0].length - 1);
  // The doc comment right before it, if any.
  const close = dts.lastIndexOf("*/", declStart);
  const open = close >= 0 ? dts.lastIndexOf("/**", close) : -1;
  const hasDoc = open >= 0 && dts.slice(close + 2, declStart).trim() === "";
  return (hasDoc ? `${dts.slice(open, close + 2)}\n` : "") + dts.slice(declStart, end);
}

/** The contract of `kind`: its methods and, for core's kinds, the interface text. */
export function contractFacts(definition: AnyDefinition): ContractFacts {
  const kind = definition.kind;
  if (kind === "pipeline") return { kind, methods: [...(definition.requires ?? [])] };
  if (kind === "runner") return { kind, methods: [...(definition.requiresPipelines ?? [])] };
  const methods = [...((CONTRACT_METHODS as Record<string, readonly string[]>)[kind] ?? [])];
  const dts = coreDts();
  if (!dts) return { kind, methods };
  const kinds =
    /(?:^|\n)(?:export )?(?:declare )?interface ComponentKinds\s*\{([^}]*)\}/.exec(dts)?.[1] ?? "";
  const name = new RegExp(`\\b${kind}\\s*:\\s*(\\w+)`).exec(kinds)?.[1];
  const declaration = name ? interfaceDeclaration(dts, name) : undefined;
  return declaration ? { kind, methods, declaration } : { kind, methods };
}

function walkTs(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walkTs(p, out);
    else if (/\.(ts|tsx|mts)$/.test(name) && !/\.(test|spec)\.|\.d\.ts$/.test(name)) out.push(p);
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The pattern of the line that names `type` in a definition in `text`: `type: "Type"`, or
 * `type: NAME` where the file declares `const NAME = "Type"`. Undefined when the file has neither.
 */
function definitionPattern(text: string, type: string): RegExp | undefined {
  const literal = new RegExp(`\\btype:\\s*["'\`]${escapeRegExp(type)}["'\`]`);
  if (literal.test(text)) return literal;
  const constant = new RegExp(
    `\\b(?:const|let)\\s+([A-Za-z_$][\\w$]*)\\s*=\\s*["'\`]${escapeRegExp(type)}["'\`]`,
  ).exec(text);
  if (!constant) return undefined;
  const byName = new RegExp(`\\btype:\\s*${escapeRegExp(constant[1]!)}\\b`);
  return byName.test(text) ? byName : undefined;
}

/** A file that defines `type`: in the package's `src/`, else in the sources of its source maps. */
export function findDefinitionSource(
  packageDir: string,
  type: string,
): { file: string; text: string } | undefined {
  const src = join(packageDir, "src");
  if (existsSync(src)) {
    for (const f of walkTs(src).sort()) {
      const text = readFileSync(f, "utf8");
      if (definitionPattern(text, type)) return { file: relative(packageDir, f), text };
    }
  }
  const dist = join(packageDir, "dist");
  if (existsSync(dist)) {
    for (const name of readdirSync(dist)
      .filter((n) => n.endsWith(".js.map"))
      .sort()) {
      try {
        const map = JSON.parse(readFileSync(join(dist, name), "utf8")) as {
          sources?: string[];
          sourcesContent?: Array<string | null>;
        };
        const i = (map.sourcesContent ?? []).findIndex(
          (c) => typeof c === "string" && definitionPattern(c, type) !== undefined,
        );
        if (i >= 0)
          return {
            file: relative(packageDir, resolve(dist, map.sources?.[i] ?? name)),
            text: map.sourcesContent![i]!,
          };
      } catch {}
    }
  }
  return undefined;
}

const TOP_LEVEL_START = /^(export\s+)?(default\s+)?(const|let|var|function|async\s+function|class)\b/;

/**
 * The top-level statement of `text` that contains the definition of `type`: from its first line (at
 * column 0) to the line before the next top-level statement. `docStart` is where its doc comment
 * starts (or `start` when it has none). Lines are 0-based.
 */
export function definitionRange(
  text: string,
  type: string,
): { start: number; end: number; docStart: number } | undefined {
  const lines = text.split("\n");
  const pattern = definitionPattern(text, type);
  if (!pattern) return undefined;
  const at = lines.findIndex((l) => pattern.test(l));
  if (at < 0) return undefined;
  let start = at;
  while (start > 0 && !TOP_LEVEL_START.test(lines[start]!)) start--;
  if (!TOP_LEVEL_START.test(lines[start]!)) return undefined;
  let end = at + 1;
  while (end < lines.length && (lines[end] === "" || /^[\s})\]]/.test(lines[end]!))) end++;
  while (end > at + 1 && lines[end - 1] === "") end--;
  let docStart = start;
  if (start > 0 && lines[start - 1]!.trim().endsWith("*/")) {
    let i = start - 1;
    while (i > 0 && !lines[i]!.trimStart().startsWith("/**")) i--;
    if (lines[i]!.trimStart().startsWith("/**")) docStart = i;
  }
  return { start, end, docStart };
}

function sourceFacts(packageDir: string, type: string, maxChars: number): SourceFacts | undefined {
  const found = findDefinitionSource(packageDir, type);
  if (!found) return undefined;
  const range = definitionRange(found.text, type);
  const lines = found.text.split("\n");
  let text = range ? lines.slice(range.docStart, range.end).join("\n") : found.text;
  let truncated = false;
  if (text.length > maxChars) {
    const cut = text.lastIndexOf("\n", maxChars);
    const kept = text.slice(0, cut > 0 ? cut : maxChars);
    text = `${kept}\n// ... (${text.length - kept.length} more characters not sent)`;
    truncated = true;
  }
  return { file: found.file, line: (range?.start ?? 0) + 1, text: scrubForPrompt(text), truncated };
}

/** Collects the facts of one definition. Reads files only; sends nothing. */
export function collectComponentFacts(options: CollectFactsOptions): ComponentFacts {
  const d = options.definition;
  const facts: ComponentFacts = {
    type: d.type,
    kind: d.kind,
    configSchema: d.configSchema,
    options: configOptions(d.configSchema),
    contract: contractFacts(d),
  };
  if (d.description) facts.description = d.description;
  if (options.plugin || options.packageDir)
    facts.plugin = {
      name: options.plugin?.name ?? "",
      ...(options.plugin?.version ? { version: options.plugin.version } : {}),
      ...(options.packageDir ? { dir: options.packageDir } : {}),
    };
  if (options.packageDir) {
    const source = sourceFacts(
      options.packageDir,
      d.type,
      options.maxSourceChars ?? DEFAULT_MAX_SOURCE_CHARS,
    );
    if (source) facts.source = source;
  }
  return facts;
}

/**
 * The facts of a registered type (its plugin must be imported, which registers it). The plugin's
 * package folder is resolved from `projectRoot` (default the current folder), as the CLI resolves plugins.
 * @throws GenaiSetupError when no loaded plugin provides the type.
 */
export function componentFactsFromRegistry(
  type: string,
  options: { projectRoot?: string; maxSourceChars?: number } = {},
): ComponentFacts {
  const reg = resolveType(type);
  if (!reg)
    throw new GenaiSetupError({
      message: `no loaded plugin provides the type ${JSON.stringify(type)}: install the plugin that provides it and list it in the project's dependencies.`,
      code: "genai_unknown_type",
    });
  let packageDir: string | undefined;
  try {
    const req = createRequire(join(resolve(options.projectRoot ?? process.cwd()), "package.json"));
    packageDir = dirname(req.resolve(`${reg.plugin}/package.json`));
  } catch {}
  return collectComponentFacts({
    definition: reg.definition,
    packageDir,
    plugin: { name: reg.plugin, version: reg.pluginVersion },
    maxSourceChars: options.maxSourceChars,
  });
}

/** What a workflow config file says, prepared for a prompt. */
export interface WorkflowFacts {
  /** The config file, as given. */
  file: string;
  /** Its YAML text with secrets replaced by `<secret>` (`${env:NAME}` references kept as written). */
  yaml: string;
  /** The runner type. */
  runner?: string;
  /** Pipeline name -> pipeline type. */
  pipelines: Record<string, string>;
  /** Components by YAML path (`components.notifier`, `train.components.model_trainer`) -> type. */
  components: Record<string, string>;
}

/**
 * Facts of a project's workflow from its config file: the YAML (secrets replaced), its runner,
 * pipelines and component types. Only the config file is read, never the data it points at.
 * @throws GenaiSetupError when the file cannot be read or is not a YAML mapping.
 */
export function collectWorkflowFacts(configFile: string): WorkflowFacts {
  let text: string;
  try {
    text = readFileSync(configFile, "utf8");
  } catch (e) {
    throw new GenaiSetupError({
      message: `cannot read the workflow config ${configFile}: ${(e as Error).message}`,
      code: "genai_workflow_unreadable",
      cause: e,
    });
  }
  const doc = parseDocument(text);
  const root = doc.errors.length ? undefined : (doc.toJS() as unknown);
  if (!root || typeof root !== "object" || Array.isArray(root))
    throw new GenaiSetupError({
      message: `${configFile}${doc.errors[0] ? `:${doc.errors[0].linePos?.[0]?.line ?? ""}` : ""}: not a YAML mapping (${doc.errors[0]?.message ?? "the file holds no workflow config"}); run \`lolpop validate\` to see the problems.`,
      code: "genai_workflow_invalid",
    });
  const cfg = root as Record<string, unknown>;
  const asTypes = (v: unknown): Record<string, string> =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v).filter(([, t]) => typeof t === "string") as Array<[string, string]>,
        )
      : {};
  const pipelines = asTypes(cfg.pipelines);
  const components: Record<string, string> = {};
  for (const [kind, type] of Object.entries(asTypes(cfg.components))) components[`components.${kind}`] = type;
  for (const name of Object.keys(pipelines)) {
    const section = cfg[name] as Record<string, unknown> | undefined;
    for (const [kind, type] of Object.entries(asTypes(section?.components)))
      components[`${name}.components.${kind}`] = type;
  }
  const facts: WorkflowFacts = { file: configFile, yaml: yamlForPrompt(text), pipelines, components };
  if (typeof cfg.runner === "string") facts.runner = cfg.runner;
  return facts;
}
