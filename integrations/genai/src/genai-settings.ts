/**
 * Provider settings as written in config (snake_case, like the rest of lolpop.yaml), their JSON
 * Schema, and the factory that turns them into a {@link LanguageModel}.
 *
 * ```yaml
 * genai:
 *   provider: openai-compatible
 *   base_url: http://127.0.0.1:11434/v1
 *   model: qwen2.5-coder:7b
 * ```
 */
import type { JsonSchema, Logger } from "@lolpop/core";
import AjvModule from "ajv";
import { createLocalModel } from "./genai-local.js";
import { createOpenAICompatibleModel, DEFAULT_API_KEY_ENV } from "./genai-openai-compatible.js";
import { GenaiSetupError } from "./genai-setup-error.js";
import type { LanguageModel } from "./genai-types.js";

// ajv is CommonJS: its default export arrives as the module object under NodeNext.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ??
  AjvModule) as unknown as typeof AjvModule.default;

/** Settings of the `openai-compatible` provider. */
export interface OpenAICompatibleSettings {
  provider: "openai-compatible";
  /** API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  base_url: string;
  model: string;
  /** Environment variable holding the key. Default `OPENAI_API_KEY`. */
  api_key_env?: string;
  /** `authorization` (Bearer, default) or `api-key` (Azure OpenAI). */
  api_key_header?: "authorization" | "api-key";
  /** Query parameters, e.g. `{ api-version: 2024-10-21 }`. */
  query?: Record<string, string>;
  /** Per attempt. Default 120000. */
  timeout_ms?: number;
  /** Retries after 429/5xx. Default 3. */
  max_retries?: number;
  /** Default `auto`. */
  structured_output?: "auto" | "json_schema" | "json_object" | "prompt";
  /** Default false. */
  stream?: boolean;
}

/** Settings of the `local` provider. */
export interface LocalSettings {
  provider: "local";
  /** A GGUF file. Default: Gemma 3 270M from the model cache. */
  model_path?: string;
  /** Default 4096. */
  context_size?: number;
  /** Default: `LOLPOP_GENAI_THREADS`, else all cores. */
  threads?: number;
  /** Default false (CPU). */
  gpu?: false | "auto" | "cuda" | "vulkan" | "metal";
}

/** Settings of either provider. */
export type GenaiSettings = OpenAICompatibleSettings | LocalSettings;

/** JSON Schema of {@link GenaiSettings} (for validation and editor completion). */
export const genaiSettingsSchema: JsonSchema = {
  oneOf: [
    {
      type: "object",
      properties: {
        provider: { const: "openai-compatible", description: "Any OpenAI chat-completions server." },
        base_url: { type: "string", description: "API root, e.g. https://api.openai.com/v1." },
        model: { type: "string", minLength: 1, description: "Model id (Azure: deployment name)." },
        api_key_env: {
          type: "string",
          default: DEFAULT_API_KEY_ENV,
          description: "Environment variable holding the API key.",
        },
        api_key_header: { enum: ["authorization", "api-key"], default: "authorization" },
        query: { type: "object", additionalProperties: { type: "string" } },
        timeout_ms: { type: "integer", minimum: 1, default: 120000 },
        max_retries: { type: "integer", minimum: 0, default: 3 },
        structured_output: { enum: ["auto", "json_schema", "json_object", "prompt"], default: "auto" },
        stream: { type: "boolean", default: false },
      },
      required: ["provider", "base_url", "model"],
      additionalProperties: false,
    },
    {
      type: "object",
      properties: {
        provider: { const: "local", description: "A GGUF model in this process (node-llama-cpp)." },
        model_path: {
          type: "string",
          description: "A GGUF file; default Gemma 3 270M from the model cache.",
        },
        context_size: { type: "integer", minimum: 256, default: 4096 },
        threads: { type: "integer", minimum: 1 },
        gpu: { enum: [false, "auto", "cuda", "vulkan", "metal"], default: false },
      },
      required: ["provider"],
      additionalProperties: false,
    },
  ],
};

const validators = new Map<string, ReturnType<InstanceType<typeof Ajv>["compile"]>>();

/**
 * Creates the {@link LanguageModel} the settings describe (nothing is loaded or sent yet).
 * `where` names the settings in errors (e.g. `lolpop.yaml genai`).
 * @throws GenaiSetupError listing what is wrong with the settings.
 */
export function createLanguageModel(
  settings: unknown,
  options: { logger?: Logger; env?: NodeJS.ProcessEnv; where?: string } = {},
): LanguageModel {
  const where = options.where ?? "genai";
  const provider = (settings as { provider?: unknown } | null)?.provider;
  if (provider !== "openai-compatible" && provider !== "local")
    throw new GenaiSetupError({
      message: `${where}.provider: must be "openai-compatible" or "local" (got ${JSON.stringify(provider)}).`,
      code: "genai_settings_invalid",
    });
  let validate = validators.get(provider);
  if (!validate) {
    const branch = (genaiSettingsSchema.oneOf as JsonSchema[])[provider === "local" ? 1 : 0]!;
    validate = new Ajv({ allErrors: true, strict: false }).compile(branch);
    validators.set(provider, validate);
  }
  if (!validate(settings)) {
    const problems = (validate.errors ?? []).map((e) => {
      const path = e.instancePath.replace(/^\//, "").replace(/\//g, ".");
      const extra =
        e.keyword === "additionalProperties"
          ? `unknown key ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`
          : e.message;
      return `${where}${path ? `.${path}` : ""}: ${extra}`;
    });
    throw new GenaiSetupError({
      message: `invalid ${provider} settings:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
      code: "genai_settings_invalid",
      details: { problems },
    });
  }
  if (provider === "local") {
    const s = settings as LocalSettings;
    return createLocalModel({
      modelPath: s.model_path,
      contextSize: s.context_size,
      threads: s.threads,
      gpu: s.gpu,
      logger: options.logger,
      env: options.env,
    });
  }
  const s = settings as OpenAICompatibleSettings;
  return createOpenAICompatibleModel({
    baseUrl: s.base_url,
    model: s.model,
    apiKeyEnv: s.api_key_env,
    apiKeyHeader: s.api_key_header,
    query: s.query,
    timeoutMs: s.timeout_ms,
    maxRetries: s.max_retries,
    structuredOutput: s.structured_output,
    stream: s.stream,
    logger: options.logger,
    env: options.env,
  });
}
