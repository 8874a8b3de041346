/**
 * Documentation of a project's workflow (`lolpop generate docs workflow`): a prompt built from the
 * config file (secrets replaced) and the one-line descriptions of the types it uses, a structured
 * answer (summary, description, one sentence per pipeline), and a marked README section whose
 * tables (pipelines and their components) come from the config itself.
 */
import { basename } from "node:path";
import type { JsonSchema } from "@lolpop/core";
import { cleanProse, readmeMarkers } from "./genai-docs.js";
import type { WorkflowFacts } from "./genai-facts.js";
import { answerTokenBudget } from "./genai-structured-output.js";
import type {
  ChatMessage,
  GenerateObjectRequest,
  GenerateObjectResult,
  LanguageModel,
} from "./genai-types.js";

/** What is known of a type the workflow uses (from its plugin's definition). */
export interface WorkflowTypeFacts {
  /** Component kind, or `pipeline` / `runner`. */
  kind: string;
  /** The definition's one-line description, when it has one. */
  description?: string;
  /** The plugin that provides it. */
  plugin?: string;
}

/** The model's part of the workflow documentation. */
export interface WorkflowDocs {
  summary: string;
  description: string;
  /** One sentence per pipeline, by pipeline name. */
  pipelines: Record<string, string>;
}

/** Longest texts asked of the model, in characters. */
export interface WorkflowDocsLimits {
  /** Default 200. */
  summary: number;
  /** Default 800. */
  description: number;
  /** One sentence per pipeline. Default 200. */
  pipeline: number;
}

/** Defaults of {@link WorkflowDocsLimits}. */
export const DEFAULT_WORKFLOW_DOCS_LIMITS: WorkflowDocsLimits = {
  summary: 200,
  description: 800,
  pipeline: 200,
};

/** The key of the workflow's README markers: `workflow:<config file name>`. */
export function workflowSectionKey(facts: WorkflowFacts): string {
  return `workflow:${basename(facts.file)}`;
}

/** The JSON Schema of the answer: one sentence for every pipeline of the config (and no other). */
export function workflowDocsSchema(
  facts: WorkflowFacts,
  limits: WorkflowDocsLimits = DEFAULT_WORKFLOW_DOCS_LIMITS,
): JsonSchema {
  const names = Object.keys(facts.pipelines);
  return {
    type: "object",
    properties: {
      summary: {
        type: "string",
        minLength: 10,
        maxLength: limits.summary,
        description: "What the workflow does, in one sentence.",
      },
      description: {
        type: "string",
        minLength: 20,
        maxLength: limits.description,
        description: "A short paragraph: the data, the model, where results go.",
      },
      pipelines: {
        type: "object",
        properties: Object.fromEntries(
          names.map((n) => [n, { type: "string", minLength: 3, maxLength: limits.pipeline }]),
        ),
        required: names,
        additionalProperties: false,
      },
    },
    required: ["summary", "description", "pipelines"],
    additionalProperties: false,
  };
}

function typeLine(path: string, type: string, types: Record<string, WorkflowTypeFacts>): string {
  const t = types[type];
  return `- ${path}: ${type}${t ? ` (${t.kind}${t.description ? `: ${t.description}` : ""})` : ""}`;
}

/** The messages asking for the workflow's documentation: the config (secrets replaced) and type descriptions only. */
export function workflowDocsMessages(
  facts: WorkflowFacts,
  types: Record<string, WorkflowTypeFacts>,
  limits: WorkflowDocsLimits = DEFAULT_WORKFLOW_DOCS_LIMITS,
): ChatMessage[] {
  const lines: string[] = [];
  if (facts.runner) lines.push(typeLine("runner", facts.runner, types));
  for (const [name, type] of Object.entries(facts.pipelines))
    lines.push(typeLine(`pipelines.${name}`, type, types));
  for (const [path, type] of Object.entries(facts.components)) lines.push(typeLine(path, type, types));
  const parts = [
    `Document the lolpop workflow configured in ${basename(facts.file)}.`,
    `Its types:\n${lines.join("\n")}`,
    `The config file (secret values replaced by <secret>):\n${facts.yaml.trimEnd()}`,
    `Write: summary (one sentence, at most ${limits.summary} characters), description (one paragraph, at most ${limits.description} characters), and pipelines (one sentence per pipeline: ${Object.keys(facts.pipelines).join(", ") || "none"}, at most ${limits.pipeline} characters each).`,
  ];
  return [
    {
      role: "system",
      content:
        "You write the README of machine-learning projects built with lolpop, a framework for config-driven workflows in TypeScript. Use only the facts given; do not invent data, metrics or results. Plain sentences: no Markdown headings, no code fences.",
    },
    { role: "user", content: parts.join("\n\n") },
  ];
}

/** Options of {@link workflowDocsRequest}. */
export interface WorkflowDocsRequestOptions {
  limits?: Partial<WorkflowDocsLimits>;
  /** Token limit of the answer. Default: the longest answer the limits allow (`answerTokenBudget`). */
  maxTokens?: number;
  /** Default 0. */
  seed?: number;
  /** Default 0. */
  temperature?: number;
  signal?: AbortSignal;
}

/** The whole request `generate docs workflow` sends: what `--dry-run` prints. */
export function workflowDocsRequest(
  facts: WorkflowFacts,
  types: Record<string, WorkflowTypeFacts>,
  options: WorkflowDocsRequestOptions = {},
): GenerateObjectRequest {
  const limits = { ...DEFAULT_WORKFLOW_DOCS_LIMITS, ...options.limits };
  const schema = workflowDocsSchema(facts, limits);
  return {
    messages: workflowDocsMessages(facts, types, limits),
    schema,
    schemaName: "workflow_docs",
    maxTokens: options.maxTokens ?? answerTokenBudget(schema),
    temperature: options.temperature ?? 0,
    seed: options.seed ?? 0,
    signal: options.signal,
  };
}

/** Asks `model` for the workflow's documentation and returns it cleaned (one paragraph per text). */
export async function generateWorkflowDocs(
  model: LanguageModel,
  facts: WorkflowFacts,
  types: Record<string, WorkflowTypeFacts>,
  options: WorkflowDocsRequestOptions = {},
): Promise<{ docs: WorkflowDocs; result: GenerateObjectResult<WorkflowDocs> }> {
  const result = await model.generateObject<WorkflowDocs>(workflowDocsRequest(facts, types, options));
  const v = result.value;
  const docs: WorkflowDocs = {
    summary: cleanProse(v.summary),
    description: cleanProse(v.description),
    pipelines: Object.fromEntries(
      Object.keys(facts.pipelines).map((n) => [n, cleanProse(v.pipelines[n] ?? "")]),
    ),
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
 * The README section of the workflow, between its markers: the model's summary and description,
 * then the runner, a table of pipelines (type, components, the model's sentence) and the shared
 * components, from the config.
 */
export function renderWorkflowSection(
  facts: WorkflowFacts,
  types: Record<string, WorkflowTypeFacts>,
  docs: WorkflowDocs,
): string {
  const m = readmeMarkers(workflowSectionKey(facts));
  const name = basename(facts.file);
  const desc = (type: string) => cell(types[type]?.description ?? "");
  const out = [
    m.start,
    `<!-- Generated by \`lolpop generate docs workflow\` from ${name}; edit outside these markers: this section is replaced when it is generated again. -->`,
    `### Workflow (\`${name}\`)`,
    "",
    docs.summary,
    "",
    docs.description,
  ];
  if (facts.runner)
    out.push(
      "",
      `Runner: ${code(facts.runner)}${types[facts.runner]?.description ? ` (${desc(facts.runner)})` : ""}.`,
    );
  const pipelines = Object.entries(facts.pipelines);
  if (pipelines.length) {
    out.push("", "| Pipeline | Type | Components | What it does |", "| --- | --- | --- | --- |");
    for (const [p, type] of pipelines) {
      const comps = Object.entries(facts.components)
        .filter(([path]) => path.startsWith(`${p}.components.`))
        .map(([path, t]) => `${path.slice(`${p}.components.`.length)}: ${code(t)}`)
        .join(", ");
      out.push(`| ${code(p)} | ${code(type)} | ${cell(comps)} | ${cell(docs.pipelines[p] ?? "")} |`);
    }
  }
  const shared = Object.entries(facts.components).filter(([path]) => path.startsWith("components."));
  if (shared.length) {
    out.push("", "| Shared component | Type | Description |", "| --- | --- | --- |");
    for (const [path, type] of shared)
      out.push(`| ${code(path.slice("components.".length))} | ${code(type)} | ${desc(type)} |`);
  }
  out.push(m.end);
  return out.join("\n");
}
