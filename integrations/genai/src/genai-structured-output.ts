/**
 * Structured output shared by every provider: parse the model's text as JSON, validate it against
 * the request's JSON Schema, and give the model one repair round (its answer plus the problems) when
 * it does not match. A second miss, or an answer cut at the token limit, is a {@link GenaiOutputError}.
 */
import { type JsonSchema, stableStringify } from "@lolpop/core";
import AjvModule, { type ErrorObject, type ValidateFunction } from "ajv";
import { GenaiOutputError } from "./genai-output-error.js";
import type {
  ChatMessage,
  FinishReason,
  GenerateObjectRequest,
  GenerateObjectResult,
  TokenUsage,
} from "./genai-types.js";

// ajv is CommonJS: its default export arrives as the module object under NodeNext.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ??
  AjvModule) as unknown as typeof AjvModule.default;

/** Defaults of {@link GenerateObjectRequest}. */
export const REQUEST_DEFAULTS = { maxTokens: 1024, temperature: 0, seed: 0, schemaName: "output" } as const;

/** Longest excerpt of a bad answer kept in errors and sent back in the repair round. */
const EXCERPT_CHARS = 500;
/** Longest bad answer sent back to the model in the repair round. */
const REPAIR_ECHO_CHARS = 4000;

let ajvInstance: InstanceType<typeof Ajv> | undefined;
const validators = new Map<string, ValidateFunction>();

/** Compiles (once per distinct schema) a validator for model answers. */
function validatorFor(schema: JsonSchema): ValidateFunction {
  const key = stableStringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    ajvInstance ??= new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    validate = ajvInstance.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath || "(root)";
  if (e.keyword === "additionalProperties")
    return `${where}: unexpected property ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`;
  if (e.keyword === "enum")
    return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  return `${where}: ${e.message ?? e.keyword}`;
}

/** Keywords left out of the schema sent to servers with a strict structured-output mode. */
const NOT_PORTABLE = new Set(["minLength", "maxLength", "default", "examples", "$comment", "format"]);

/**
 * The schema without the keywords strict server-side modes reject (string lengths, `format`,
 * `default`, `examples`): what is sent as `response_format`. Answers are still validated against the
 * full schema, so a length limit is enforced by the validation and the repair round instead.
 */
export function portableSchema(schema: JsonSchema): JsonSchema {
  const strip = (node: unknown, isPropertyMap = false): unknown => {
    if (Array.isArray(node)) return node.map((n) => strip(n));
    if (!node || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      // Inside `properties` the keys are property names, not keywords.
      if (!isPropertyMap && NOT_PORTABLE.has(k)) continue;
      out[k] = strip(v, !isPropertyMap && (k === "properties" || k === "$defs" || k === "definitions"));
    }
    return out;
  };
  return strip(schema) as JsonSchema;
}

/** Tokens allowed per value for the whitespace around it (a newline and an indent, as models write JSON). */
const WHITESPACE_TOKENS = 8;

/**
 * A token limit that holds the longest answer `schema` allows: every string at its `maxLength` and
 * every array at its `maxItems`, at one token per character (what a small model takes for a run of
 * digits or spaces), plus the JSON around them; `undefined` when the schema leaves a string or an
 * array unbounded. The local provider's grammar enforces the lengths, so an answer under this limit
 * always ends; a limit from an average of characters per token cuts the long ones.
 */
export function answerTokenBudget(schema: JsonSchema): number | undefined {
  const longest = (node: unknown): number | undefined => {
    if (!node || typeof node !== "object") return undefined;
    const n = node as Record<string, unknown>;
    if (Array.isArray(n.enum)) return Math.max(0, ...n.enum.map((v) => JSON.stringify(v).length));
    if (n.const !== undefined) return JSON.stringify(n.const).length;
    switch (n.type) {
      case "string":
        return typeof n.maxLength === "number" ? n.maxLength + 2 : undefined;
      case "number":
      case "integer":
        return 24;
      case "boolean":
        return 5;
      case "null":
        return 4;
      case "array": {
        const item = longest(n.items);
        if (typeof n.maxItems !== "number" || item === undefined) return undefined;
        return 2 + n.maxItems * (item + 1 + WHITESPACE_TOKENS);
      }
      case "object": {
        // Properties the schema does not name are not bounded.
        if (n.additionalProperties !== false) return undefined;
        let total = 2 + WHITESPACE_TOKENS;
        for (const [key, value] of Object.entries((n.properties ?? {}) as Record<string, unknown>)) {
          const v = longest(value);
          if (v === undefined) return undefined;
          total += JSON.stringify(key).length + 2 + v + WHITESPACE_TOKENS;
        }
        return total;
      }
      default:
        return undefined;
    }
  };
  return longest(schema);
}

/** Outcome of {@link checkAnswer}. */
export type AnswerCheck = { ok: true; value: unknown } | { ok: false; problems: string[] };

/**
 * Parses a model's text as JSON and validates it against `schema`. Accepts the JSON wrapped in a
 * Markdown code fence or surrounded by prose (the outermost object or array is taken), since models
 * without JSON mode often add either.
 */
export function checkAnswer(text: string, schema: JsonSchema): AnswerCheck {
  const parsed = parseJsonLoosely(text);
  if (!parsed.ok) return { ok: false, problems: [parsed.problem] };
  const validate = validatorFor(schema);
  if (validate(parsed.value)) return { ok: true, value: parsed.value };
  const problems = [...new Set((validate.errors ?? []).map(describeError))];
  return { ok: false, problems };
}

function parseJsonLoosely(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false, problem: "the answer is empty (expected a JSON value)" };
  const candidates = [trimmed];
  const fence = /```(?:json)?\s*\n([\s\S]*?)\n?```/i.exec(trimmed);
  if (fence?.[1]) candidates.push(fence[1].trim());
  const first = trimmed.search(/[{[]/);
  if (first >= 0) {
    const close = trimmed[first] === "{" ? "}" : "]";
    const last = trimmed.lastIndexOf(close);
    if (last > first) candidates.push(trimmed.slice(first, last + 1));
  }
  let firstError = "";
  for (const c of candidates) {
    try {
      return { ok: true, value: JSON.parse(c) };
    } catch (e) {
      firstError ||= (e as Error).message;
    }
  }
  return { ok: false, problem: `the answer is not valid JSON (${firstError})` };
}

/** One raw completion of a provider. */
export interface RawCompletion {
  text: string;
  finishReason: FinishReason;
  usage: TokenUsage;
}

/** Inputs of {@link generateStructured}. */
export interface StructuredRun {
  provider: string;
  model: string;
  request: GenerateObjectRequest;
  /** Sends one conversation and returns the model's text. */
  complete: (messages: ChatMessage[]) => Promise<RawCompletion>;
  /** Removes secrets from text (applied to every answer before it is parsed, kept or echoed). */
  scrub: (text: string) => string;
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const sum = (x?: number, y?: number) =>
    x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0);
  return {
    promptTokens: sum(a.promptTokens, b.promptTokens),
    completionTokens: sum(a.completionTokens, b.completionTokens),
  };
}

/** The message asking the model to fix an answer that did not match the schema. */
export function repairMessage(problems: readonly string[]): string {
  return (
    "Your answer does not match the required JSON Schema:\n" +
    problems.map((p) => `- ${p}`).join("\n") +
    "\nAnswer again with only the corrected JSON value: no prose, no code fence."
  );
}

/**
 * Runs one structured request: first answer, then at most one repair round. The answer text is
 * scrubbed of secrets before anything else happens to it.
 */
export async function generateStructured<T>(run: StructuredRun): Promise<GenerateObjectResult<T>> {
  const started = Date.now();
  const { request } = run;
  const first = await run.complete(request.messages);
  const firstText = run.scrub(first.text);
  const firstCheck = checkAnswer(firstText, request.schema);
  const result = (text: string, c: RawCompletion, value: unknown, repaired: boolean, usage: TokenUsage) => ({
    value: value as T,
    text,
    repaired,
    provider: run.provider,
    model: run.model,
    finishReason: c.finishReason,
    usage,
    elapsedMs: Date.now() - started,
  });
  if (firstCheck.ok) return result(firstText, first, firstCheck.value, false, first.usage);
  const maxTokens = request.maxTokens ?? REQUEST_DEFAULTS.maxTokens;
  if (first.finishReason === "length")
    throw truncatedError(run, firstText, firstCheck.problems, maxTokens, 1);

  const repairConversation: ChatMessage[] = [
    ...request.messages,
    { role: "assistant", content: firstText.slice(0, REPAIR_ECHO_CHARS) },
    { role: "user", content: repairMessage(firstCheck.problems) },
  ];
  const second = await run.complete(repairConversation);
  const secondText = run.scrub(second.text);
  const usage = addUsage(first.usage, second.usage);
  const secondCheck = checkAnswer(secondText, request.schema);
  if (secondCheck.ok) return result(secondText, second, secondCheck.value, true, usage);
  if (second.finishReason === "length")
    throw truncatedError(run, secondText, secondCheck.problems, maxTokens, 2);
  throw new GenaiOutputError({
    message:
      `${run.provider} model ${run.model} did not answer with JSON matching the schema, also after one repair round:\n` +
      secondCheck.problems.map((p) => `  - ${p}`).join("\n") +
      `\nLast answer starts with: ${JSON.stringify(secondText.slice(0, 200))}`,
    provider: run.provider,
    model: run.model,
    problems: secondCheck.problems,
    excerpt: secondText.slice(0, EXCERPT_CHARS),
    truncated: false,
    attempts: 2,
  });
}

function truncatedError(
  run: StructuredRun,
  text: string,
  problems: string[],
  maxTokens: number,
  attempts: number,
): GenaiOutputError {
  return new GenaiOutputError({
    message: `${run.provider} model ${run.model} stopped at the token limit (maxTokens ${maxTokens}) before its JSON answer was complete (${problems[0] ?? "invalid"}). Raise maxTokens or ask for less.`,
    provider: run.provider,
    model: run.model,
    problems,
    excerpt: text.slice(0, EXCERPT_CHARS),
    truncated: true,
    attempts,
  });
}
