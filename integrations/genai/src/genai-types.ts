/**
 * The one small interface every language-model provider of @lolpop/genai implements: chat messages
 * in, one JSON value matching a JSON Schema out.
 */
import type { JsonSchema } from "@lolpop/core";

/** Who wrote a chat message. */
export type ChatRole = "system" | "user" | "assistant";

/** One message of a conversation. */
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** What to ask a {@link LanguageModel} for. */
export interface GenerateObjectRequest {
  /** The conversation: usually one `system` message, then one `user` message. */
  messages: ChatMessage[];
  /**
   * JSON Schema the answer must match. Keep it to the portable subset (type, properties, required,
   * items, enum, minItems/maxItems, `additionalProperties: false`): OpenAI's strict mode and the local
   * model's grammar both support it.
   */
  schema: JsonSchema;
  /** Name of the schema, sent to servers that take one (`[a-zA-Z0-9_-]`, default `output`). */
  schemaName?: string;
  /** Most tokens the model may write per attempt. Default 1024. */
  maxTokens?: number;
  /** Sampling temperature. Default 0 (greedy: the same prompt gives the same answer where the server allows). */
  temperature?: number;
  /** Sampling seed, sent where supported. Default 0. */
  seed?: number;
  /** Cancels the request (and any wait between retries). */
  signal?: AbortSignal;
}

/** Token counts of one request (summed over the repair round when there was one). */
export interface TokenUsage {
  /** Tokens of the prompt, when the provider reports them. */
  promptTokens?: number;
  /** Tokens written by the model, when the provider reports them. */
  completionTokens?: number;
}

/** Why the model stopped writing: `stop` (it finished), `length` (max tokens reached), or the server's word. */
export type FinishReason = "stop" | "length" | (string & {});

/** The answer of {@link LanguageModel.generateObject}. */
export interface GenerateObjectResult<T = unknown> {
  /** The parsed value; it matches the request's schema. */
  value: T;
  /** The raw text the value was parsed from (of the repair round when there was one). */
  text: string;
  /** True when the first answer did not match the schema and the repair round fixed it. */
  repaired: boolean;
  /** Provider id, e.g. `openai-compatible` or `local`. */
  provider: string;
  /** Model name (server model id or GGUF file name). */
  model: string;
  finishReason: FinishReason;
  usage: TokenUsage;
  /** Wall-clock time of the whole call, retries and repair included, in milliseconds. */
  elapsedMs: number;
}

/**
 * What `--dry-run` shows: where the request would go and the exact text that would be sent. The API
 * key is never part of it (headers that carry it are shown with a placeholder).
 */
export interface RequestPreview {
  provider: string;
  model: string;
  /** Where the request goes: an URL, or `local` for the embedded model (nothing leaves the machine). */
  destination: string;
  /** Headers that would be sent, credentials replaced by a placeholder naming their source. */
  headers: Record<string, string>;
  /** The exact body that would be sent (for the local model: the messages and the schema of its grammar). */
  body: string;
}

/** A language model that answers with structured output. Create one with a provider factory. */
export interface LanguageModel {
  /** Provider id, e.g. `openai-compatible` or `local`. */
  readonly provider: string;
  /** Model name. */
  readonly model: string;
  /**
   * Asks for one JSON value matching `request.schema`. The answer is parsed and validated; when it
   * does not match, the model gets one repair round (its answer and the validation errors); when the
   * repaired answer does not match either, a `GenaiOutputError` is thrown.
   */
  generateObject<T = unknown>(request: GenerateObjectRequest): Promise<GenerateObjectResult<T>>;
  /** The request {@link generateObject} would send first, without sending it (for `--dry-run`). */
  previewRequest(request: GenerateObjectRequest): RequestPreview;
  /** Releases what the model holds (connections, the loaded model). Idempotent. */
  close(): Promise<void>;
}
