/**
 * Documentation generation for a component, pipeline or runner type: a prompt built from its facts,
 * a structured answer (summary, description, one sentence per config option), and writers that put
 * it into a doc comment above the definition and a marked README section whose config table comes
 * from the schema itself. The writers touch nothing else: a doc comment replaces only the doc comment
 * of the definition (checked: the code without doc comments is unchanged), a README section only the
 * text between its markers.
 */
import type { JsonSchema } from "@lolpop/core";
import type { ComponentFacts, ConfigOptionFacts } from "./genai-facts.js";
import { definitionRange } from "./genai-facts.js";
import { GenaiSetupError } from "./genai-setup-error.js";
import { answerTokenBudget } from "./genai-structured-output.js";
import type {
  ChatMessage,
  GenerateObjectRequest,
  GenerateObjectResult,
  LanguageModel,
} from "./genai-types.js";

/** Longest texts asked of the model, in characters. */
export interface DocsLimits {
  /** One sentence. Default 160. */
  summary: number;
  /** A paragraph. Default 700. */
  description: number;
  /** One sentence per config option. Default 200. */
  option: number;
}

/** Defaults of {@link DocsLimits}. */
export const DEFAULT_DOCS_LIMITS: DocsLimits = { summary: 160, description: 700, option: 200 };

/** The model's part of the documentation. */
export interface ComponentDocs {
  summary: string;
  description: string;
  /** One sentence per config option, by option name. */
  options: Record<string, string>;
}

/**
 * The JSON Schema of the answer: every option of the type's config is a required property, so the
 * model writes one sentence for each (and no other).
 */
export function docsSchema(facts: ComponentFacts, limits: DocsLimits = DEFAULT_DOCS_LIMITS): JsonSchema {
  const names = facts.options.map((o) => o.name);
  return {
    type: "object",
    properties: {
      summary: {
        type: "string",
        minLength: 10,
        maxLength: limits.summary,
        description: `What ${facts.type} does, in one sentence.`,
      },
      description: {
        type: "string",
        minLength: 20,
        maxLength: limits.description,
        description: "A short paragraph: what it does, how, and when to use it.",
      },
      options: {
        type: "object",
        properties: Object.fromEntries(
          names.map((n) => [n, { type: "string", minLength: 3, maxLength: limits.option }]),
        ),
        required: names,
        additionalProperties: false,
      },
    },
    required: ["summary", "description", "options"],
    additionalProperties: false,
  };
}

function optionLine(o: ConfigOptionFacts): string {
  const bits = [
    o.type,
    o.required ? "required" : undefined,
    "default" in o ? `default ${JSON.stringify(o.default)}` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
  return `- ${o.name} (${bits})${o.description ? `: ${o.description}` : ""}`;
}

/** The messages asking for a type's documentation. Contains only the facts (code, schema, contract). */
export function docsMessages(facts: ComponentFacts, limits: DocsLimits = DEFAULT_DOCS_LIMITS): ChatMessage[] {
  const what = facts.kind === "pipeline" || facts.kind === "runner" ? facts.kind : `${facts.kind} component`;
  const parts = [
    `Document the lolpop ${what} type \`${facts.type}\`${facts.plugin?.name ? ` from the package ${facts.plugin.name}` : ""}.`,
  ];
  if (facts.description) parts.push(`Its one-line description: ${facts.description}`);
  if (facts.contract.methods.length)
    parts.push(
      facts.kind === "pipeline"
        ? `Component kinds it needs: ${facts.contract.methods.join(", ")}.`
        : facts.kind === "runner"
          ? `Pipelines it runs: ${facts.contract.methods.join(", ")}.`
          : `Methods of its contract: ${facts.contract.methods.join(", ")}.`,
    );
  parts.push(
    facts.options.length
      ? `Config options (from its JSON Schema):\n${facts.options.map(optionLine).join("\n")}`
      : "It has no config options.",
  );
  if (facts.source)
    parts.push(
      `Source of its definition (${facts.source.file}${facts.source.truncated ? ", cut" : ""}):\n${facts.source.text}`,
    );
  if (facts.contract.declaration) parts.push(`The ${facts.kind} contract:\n${facts.contract.declaration}`);
  parts.push(
    `Write: summary (one sentence, at most ${limits.summary} characters), description (one paragraph, at most ${limits.description} characters), and options (one sentence per config option, at most ${limits.option} characters each).`,
  );
  return [
    {
      role: "system",
      content:
        "You write reference documentation for lolpop, a framework for machine-learning workflows in TypeScript. Use only the facts given; do not invent options or behaviour. Plain sentences: no Markdown headings, no code fences.",
    },
    { role: "user", content: parts.join("\n\n") },
  ];
}

/** Options of {@link docsRequest} and {@link generateComponentDocs}. */
export interface DocsRequestOptions {
  limits?: Partial<DocsLimits>;
  /** Token limit of the answer. Default: the longest answer the limits allow (`answerTokenBudget`). */
  maxTokens?: number;
  seed?: number;
  temperature?: number;
  signal?: AbortSignal;
}

/** The whole request `generate docs` sends: what `--dry-run` prints. */
export function docsRequest(facts: ComponentFacts, options: DocsRequestOptions = {}): GenerateObjectRequest {
  const limits = { ...DEFAULT_DOCS_LIMITS, ...options.limits };
  const schema = docsSchema(facts, limits);
  return {
    messages: docsMessages(facts, limits),
    schema,
    schemaName: "component_docs",
    maxTokens: options.maxTokens ?? answerTokenBudget(schema),
    temperature: options.temperature ?? 0,
    seed: options.seed ?? 0,
    signal: options.signal,
  };
}

/** Text from the model made safe for a doc comment, a Markdown table cell or a README: one paragraph. */
export function cleanProse(text: string): string {
  return text
    .replace(/\p{Cc}+/gu, " ")
    .replace(/\*\//g, "* /")
    .replace(/<!--|-->/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Asks `model` for the documentation of a type and returns it cleaned. */
export async function generateComponentDocs(
  model: LanguageModel,
  facts: ComponentFacts,
  options: DocsRequestOptions = {},
): Promise<{ docs: ComponentDocs; result: GenerateObjectResult<ComponentDocs> }> {
  const result = await model.generateObject<ComponentDocs>(docsRequest(facts, options));
  const v = result.value;
  const docs: ComponentDocs = {
    summary: cleanProse(v.summary),
    description: cleanProse(v.description),
    options: Object.fromEntries(facts.options.map((o) => [o.name, cleanProse(v.options[o.name] ?? "")])),
  };
  return { docs, result };
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s+/g, " ").trim();
}

function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/**
 * The config table of a type, from its schema: option, type, default (or "required"), and the
 * schema's description (the model's sentence only where the schema has none).
 */
export function renderConfigTable(facts: ComponentFacts, docs?: ComponentDocs): string {
  if (facts.options.length === 0) return "No config options.";
  const rows = facts.options.map((o) => {
    const def = "default" in o ? code(JSON.stringify(o.default)) : o.required ? "required" : "";
    const text = o.description ?? docs?.options[o.name] ?? "";
    return `| ${code(o.name)} | ${cell(code(o.type))} | ${cell(def)} | ${cell(text)} |`;
  });
  return ["| Option | Type | Default | Description |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** The markers around the generated README section of `type`. */
export function readmeMarkers(type: string): { start: string; end: string } {
  return { start: `<!-- lolpop-genai:docs:${type}:start -->`, end: `<!-- lolpop-genai:docs:${type}:end -->` };
}

/** The README section of a type, between its markers. */
export function renderReadmeSection(facts: ComponentFacts, docs: ComponentDocs): string {
  const m = readmeMarkers(facts.type);
  return [
    m.start,
    `<!-- Generated by \`lolpop generate docs ${facts.type}\`; edit outside these markers: this section is replaced when it is generated again. -->`,
    `### ${facts.type} (\`${facts.kind}\`)`,
    "",
    docs.summary,
    "",
    docs.description,
    "",
    renderConfigTable(facts, docs),
    m.end,
  ].join("\n");
}

/**
 * `readme` with the section of `type` replaced (between its markers) or, when it has none, appended
 * at the end. Nothing outside the markers changes.
 * @throws GenaiSetupError when the markers are unbalanced or repeated (fix the README by hand first).
 */
export function applyReadmeSection(
  readme: string,
  type: string,
  section: string,
  file = "README.md",
): string {
  const m = readmeMarkers(type);
  const starts = readme.split(m.start).length - 1;
  const ends = readme.split(m.end).length - 1;
  if (starts === 0 && ends === 0) {
    const base = readme.replace(/\n*$/, "");
    return `${base}${base ? "\n\n" : ""}${section}\n`;
  }
  const lineOf = (i: number) => readme.slice(0, i).split("\n").length;
  if (starts !== 1 || ends !== 1 || readme.indexOf(m.end) < readme.indexOf(m.start)) {
    const at = readme.indexOf(starts ? m.start : m.end);
    throw new GenaiSetupError({
      message: `${file}:${lineOf(at)}: the generated section of ${type} needs exactly one ${m.start} followed by one ${m.end} (found ${starts} and ${ends}). Fix the markers by hand, then generate again.`,
      code: "genai_readme_markers",
    });
  }
  const from = readme.indexOf(m.start);
  const to = readme.indexOf(m.end) + m.end.length;
  return readme.slice(0, from) + section + readme.slice(to);
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ").filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

/** The doc comment of a type's definition (without indentation). */
export function renderDocComment(facts: ComponentFacts, docs: ComponentDocs, width = 96): string {
  const lines = [
    ...wrap(
      `\`${facts.type}\` (${facts.kind === "pipeline" || facts.kind === "runner" ? facts.kind : `kind \`${facts.kind}\``}): ${docs.summary}`,
      width,
    ),
  ];
  if (docs.description) lines.push("", ...wrap(docs.description, width));
  if (facts.options.length) {
    lines.push("", "Config:");
    for (const o of facts.options) {
      const def =
        "default" in o ? ` (default \`${JSON.stringify(o.default)}\`)` : o.required ? " (required)" : "";
      const [first, ...rest] = wrap(
        `- \`${o.name}\`${def}: ${docs.options[o.name] ?? o.description ?? ""}`,
        width,
      );
      lines.push(first!, ...rest.map((l) => `  ${l}`));
    }
  }
  return ["/**", ...lines.map((l) => (l ? ` * ${l}` : " *")), " */"].join("\n");
}

/** The text without its `/** ... *\/` doc comments and trailing spaces: what must not change. */
function codeWithoutDocComments(text: string): string {
  return text.replace(/^[ \t]*\/\*\*(?:(?!\*\/)[\s\S])*\*\/[ \t]*\n?/gm, "").replace(/[ \t]+$/gm, "");
}

/**
 * `source` with the doc comment of the definition of `type` replaced by `comment` (or inserted above
 * the definition when it has none).
 * @throws GenaiSetupError when the definition is not found, or when the result would differ from
 * `source` anywhere but in doc comments.
 */
export function applyDocComment(source: string, type: string, comment: string, file = "source"): string {
  const range = definitionRange(source, type);
  if (!range)
    throw new GenaiSetupError({
      message: `${file}: no top-level definition with type "${type}" found; the doc comment was not written.`,
      code: "genai_definition_not_found",
    });
  const lines = source.split("\n");
  const indent = /^\s*/.exec(lines[range.start]!)?.[0] ?? "";
  const commentLines = comment.split("\n").map((l) => indent + l);
  const out = [...lines.slice(0, range.docStart), ...commentLines, ...lines.slice(range.start)].join("\n");
  if (codeWithoutDocComments(out) !== codeWithoutDocComments(source))
    throw new GenaiSetupError({
      message: `${file}: writing the doc comment of ${type} would change code outside doc comments; nothing was written.`,
      code: "genai_unsafe_edit",
    });
  return out;
}
