/**
 * The `openai-compatible` provider: any server speaking OpenAI's chat-completions API (OpenAI, Azure
 * OpenAI, ollama, vLLM, the llama.cpp server, LM Studio), on Node's fetch.
 *
 * - Structured output: `response_format: json_schema` where the server takes it, else `json_object`,
 *   else the schema in the prompt; every answer is validated, with one repair round.
 * - Retries: only answers 429 and 5xx are retried, with exponential backoff and jitter (`Retry-After`
 *   / `retry-after-ms` honoured, capped). Other statuses, timeouts and network errors fail at once.
 * - The API key comes from the environment (`OPENAI_API_KEY` unless `apiKeyEnv` says otherwise) or
 *   the `apiKey` option; it is sent only in its header and never appears in logs, errors, previews
 *   or answers (also when the server echoes it).
 */
import { CancelledError, type Logger, RemoteServiceError, silentLogger } from "@lolpop/core";
import { createScrubber } from "./genai-secrets.js";
import { GenaiSetupError } from "./genai-setup-error.js";
import {
  generateStructured,
  portableSchema,
  type RawCompletion,
  REQUEST_DEFAULTS,
} from "./genai-structured-output.js";
import type {
  ChatMessage,
  GenerateObjectRequest,
  GenerateObjectResult,
  LanguageModel,
  RequestPreview,
  TokenUsage,
} from "./genai-types.js";

/** Provider id of {@link createOpenAICompatibleModel}. */
export const OPENAI_COMPATIBLE_PROVIDER = "openai-compatible";

/** How the answer is constrained to the schema. */
export type StructuredOutputMode = "auto" | "json_schema" | "json_object" | "prompt";

/** Options of {@link createOpenAICompatibleModel}. */
export interface OpenAICompatibleOptions {
  /**
   * Base URL of the API, up to and without `/chat/completions`: `https://api.openai.com/v1`,
   * `http://127.0.0.1:11434/v1` (ollama), `http://127.0.0.1:8000/v1` (vLLM), `http://127.0.0.1:8080/v1`
   * (llama.cpp server), `http://127.0.0.1:1234/v1` (LM Studio),
   * `https://<resource>.openai.azure.com/openai/v1` (Azure OpenAI).
   */
  baseUrl: string;
  /** Model id (Azure: the deployment name). */
  model: string;
  /** Environment variable holding the API key. Default `OPENAI_API_KEY`. Unset: no key is sent (local servers). */
  apiKeyEnv?: string;
  /** The API key itself (e.g. a resolved config secret); takes precedence over `apiKeyEnv`. */
  apiKey?: string;
  /** Header carrying the key: `authorization` (default, `Bearer <key>`) or `api-key` (Azure OpenAI). */
  apiKeyHeader?: "authorization" | "api-key";
  /** Query parameters added to the URL, e.g. `{ "api-version": "2024-10-21" }` for Azure's dated API. */
  query?: Record<string, string>;
  /** Extra headers (not for credentials: they would not be scrubbed as such). */
  headers?: Record<string, string>;
  /** Time allowed for one attempt (the whole answer, streamed or not), in ms. Default 120000. */
  timeoutMs?: number;
  /** Retries after a 429 or 5xx answer. Default 3. */
  maxRetries?: number;
  /** First backoff delay; doubles per retry, with full jitter. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Longest wait between attempts, also for `Retry-After`. Default 30000 ms. */
  maxRetryDelayMs?: number;
  /**
   * `auto` (default): `json_schema` first; when the server rejects `response_format`, `json_object`,
   * then the schema in the prompt only (remembered for this model object). The others force one mode.
   */
  structuredOutput?: StructuredOutputMode;
  /** Send `strict: true` with `json_schema` (OpenAI's strict mode: every property required, no extra ones). Default true. */
  strictSchema?: boolean;
  /** Ask for a streamed answer (server-sent events) and assemble it. Default false. */
  stream?: boolean;
  /** Receives one debug line per request and a warning per retry; never headers or bodies. */
  logger?: Logger;
  /** Replaces the global fetch (proxies, tests). */
  fetch?: typeof fetch;
  /** Environment the key is read from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Default environment variable of the API key. */
export const DEFAULT_API_KEY_ENV = "OPENAI_API_KEY";

const OPTION_DEFAULTS = {
  timeoutMs: 120_000,
  maxRetries: 3,
  retryBaseDelayMs: 500,
  maxRetryDelayMs: 30_000,
};

/** Statuses worth another attempt. */
function retryable(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Longest part of a server's error text kept in an error message. */
const SERVER_TEXT_CHARS = 500;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number(headers.get("retry-after-ms"));
  if (headers.get("retry-after-ms") !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The server's own error message from an OpenAI-style error body, else the raw text. */
function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const e = parsed.error;
    if (typeof e === "string") return e;
    if (e && typeof e.message === "string") return e.message;
    if (typeof parsed.message === "string") return parsed.message;
  } catch {}
  return body;
}

/** Text for a message: control characters removed, whitespace collapsed, length capped. */
function clip(text: string, max = SERVER_TEXT_CHARS): string {
  const clean = text
    .replace(/\p{Cc}+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

function schemaInstruction(schema: unknown): string {
  return `Answer with one JSON value that matches this JSON Schema, and nothing else (no prose, no code fence):\n${JSON.stringify(schema)}`;
}

/** Messages with the schema instruction added (modes that do not send the schema separately). */
function withSchemaInstruction(messages: ChatMessage[], schema: unknown): ChatMessage[] {
  const instruction = schemaInstruction(schema);
  const first = messages[0];
  if (first?.role === "system")
    return [{ role: "system", content: `${first.content}\n\n${instruction}` }, ...messages.slice(1)];
  return [{ role: "system", content: instruction }, ...messages];
}

/** True when a 400/422 answer says the server does not take the `response_format` sent. */
function rejectsResponseFormat(status: number, text: string): boolean {
  return (
    (status === 400 || status === 422) && /response_format|json_schema|json_object|structured/i.test(text)
  );
}

/**
 * Creates a {@link LanguageModel} talking to an OpenAI-compatible chat-completions server.
 * Nothing is sent until {@link LanguageModel.generateObject} is called.
 * @throws GenaiSetupError when `baseUrl` is not an http(s) URL or `model` is empty.
 */
export function createOpenAICompatibleModel(options: OpenAICompatibleOptions): LanguageModel {
  const env = options.env ?? process.env;
  const keyEnv = options.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  const apiKey = options.apiKey ?? (env[keyEnv] || undefined);
  const keySource = options.apiKey !== undefined ? "the apiKey option" : keyEnv;
  const scrub = createScrubber([apiKey]);
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? OPTION_DEFAULTS.timeoutMs;
  const maxRetries = options.maxRetries ?? OPTION_DEFAULTS.maxRetries;
  const baseDelay = options.retryBaseDelayMs ?? OPTION_DEFAULTS.retryBaseDelayMs;
  const maxDelay = options.maxRetryDelayMs ?? OPTION_DEFAULTS.maxRetryDelayMs;
  const doFetch = options.fetch ?? globalThis.fetch;
  const keyHeader = options.apiKeyHeader ?? "authorization";
  const stream = options.stream ?? false;
  const strict = options.strictSchema ?? true;

  if (!options.model || typeof options.model !== "string")
    throw new GenaiSetupError({
      message:
        "openai-compatible provider: `model` is required (the server's model id; Azure: the deployment name).",
    });
  let url: URL;
  try {
    url = new URL(`${String(options.baseUrl).replace(/\/+$/, "")}/chat/completions`);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
  } catch {
    throw new GenaiSetupError({
      message: `openai-compatible provider: baseUrl ${JSON.stringify(scrub(String(options.baseUrl)))} is not an http(s) URL. Give the API root, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1.`,
    });
  }
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  // Shown in logs and errors: no user info, query values scrubbed.
  const shownUrl = (() => {
    const u = new URL(url.href);
    u.username = "";
    u.password = "";
    return scrub(u.href);
  })();
  const model = options.model;
  let mode: Exclude<StructuredOutputMode, "auto"> =
    options.structuredOutput && options.structuredOutput !== "auto"
      ? options.structuredOutput
      : "json_schema";
  const auto = (options.structuredOutput ?? "auto") === "auto";

  /** The request body; message texts are scrubbed of secrets (what is sent is what a preview shows). */
  const buildBody = (request: GenerateObjectRequest, conversation: ChatMessage[]) => {
    const messages = conversation.map((m) => ({ role: m.role, content: scrub(m.content) }));
    const body: Record<string, unknown> = {
      model,
      messages: mode === "json_schema" ? messages : withSchemaInstruction(messages, request.schema),
      temperature: request.temperature ?? REQUEST_DEFAULTS.temperature,
      seed: request.seed ?? REQUEST_DEFAULTS.seed,
      max_tokens: request.maxTokens ?? REQUEST_DEFAULTS.maxTokens,
      stream,
    };
    if (mode === "json_schema")
      body.response_format = {
        type: "json_schema",
        json_schema: {
          name: request.schemaName ?? REQUEST_DEFAULTS.schemaName,
          schema: strict ? portableSchema(request.schema) : request.schema,
          strict,
        },
      };
    else if (mode === "json_object") body.response_format = { type: "json_object" };
    return body;
  };

  const headersFor = (shown: boolean): Record<string, string> => {
    const h: Record<string, string> = {
      "content-type": "application/json",
      accept: stream ? "text/event-stream" : "application/json",
      ...options.headers,
    };
    if (apiKey !== undefined) {
      const value = shown ? `<key from ${keySource}>` : apiKey;
      if (keyHeader === "api-key") h["api-key"] = value;
      else h.authorization = `Bearer ${value}`;
    }
    return h;
  };

  const remoteError = (message: string, status?: number, cause?: unknown) =>
    new RemoteServiceError({
      service: OPENAI_COMPATIBLE_PROVIDER,
      message: scrub(message),
      status,
      details: { url: shownUrl, model },
      cause: cause === undefined ? undefined : scrubCause(cause),
    });

  /** A copy of a low-level error without anything that could carry the key. */
  const scrubCause = (cause: unknown) => {
    const e = new Error(scrub(cause instanceof Error ? cause.message : String(cause)));
    const code =
      (cause as { code?: unknown; cause?: { code?: unknown } })?.code ??
      (cause as { cause?: { code?: unknown } })?.cause?.code;
    if (typeof code === "string") (e as Error & { code?: string }).code = code;
    return e;
  };

  /** One HTTP attempt; returns the completion or throws with `retry` telling whether to try again. */
  const attempt = async (
    body: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<
    { ok: true; completion: RawCompletion } | { ok: false; status: number; text: string; headers: Headers }
  > => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await doFetch(url, {
        method: "POST",
        headers: headersFor(false),
        body: JSON.stringify(body),
        signal: combined,
      });
    } catch (e) {
      if (signal?.aborted)
        throw new CancelledError({ path: "genai.openai-compatible", reason: signal.reason });
      if (timeout.aborted)
        throw remoteError(
          `${model} at ${shownUrl} did not answer within ${timeoutMs} ms (timeoutMs).`,
          undefined,
          e,
        );
      const code = (e as { cause?: { code?: string } })?.cause?.code;
      throw remoteError(
        `could not reach ${shownUrl}: ${code ?? ""} ${(e as { cause?: Error })?.cause?.message ?? (e as Error)?.message ?? e}`.replace(
          /\s+/g,
          " ",
        ) + ". Check baseUrl and that the server is running.",
        undefined,
        e,
      );
    }
    try {
      if (!res.ok) return { ok: false, status: res.status, text: await res.text(), headers: res.headers };
      const completion = stream ? await readStream(res) : await readJson(res);
      return { ok: true, completion };
    } catch (e) {
      if (RemoteServiceError.isInstance(e)) throw e;
      if (signal?.aborted)
        throw new CancelledError({ path: "genai.openai-compatible", reason: signal.reason });
      if (timeout.aborted)
        throw remoteError(
          `${model} at ${shownUrl} did not finish its answer within ${timeoutMs} ms (timeoutMs).`,
          res.status,
          e,
        );
      throw remoteError(
        `reading the answer of ${shownUrl} failed: ${(e as Error)?.message ?? e}`,
        res.status,
        e,
      );
    }
  };

  const readJson = async (res: Response): Promise<RawCompletion> => {
    const text = await res.text();
    let parsed: {
      choices?: Array<{ message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }>;
      usage?: { prompt_tokens?: number; completion_tokens?: number };
    };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw remoteError(
        `${shownUrl} answered ${res.status} with a body that is not JSON: ${JSON.stringify(clip(scrub(text), 200))}. Is baseUrl the API root (ending in /v1)?`,
        res.status,
      );
    }
    const choice = parsed.choices?.[0];
    if (!choice?.message)
      throw remoteError(
        `${shownUrl} answered without choices[0].message: ${JSON.stringify(clip(scrub(text), 200))}`,
        res.status,
      );
    if (typeof choice.message.refusal === "string" && choice.message.refusal)
      throw remoteError(`${model} refused to answer: ${clip(choice.message.refusal)}`, res.status);
    return {
      text: typeof choice.message.content === "string" ? choice.message.content : "",
      finishReason: typeof choice.finish_reason === "string" ? choice.finish_reason : "stop",
      usage: { promptTokens: parsed.usage?.prompt_tokens, completionTokens: parsed.usage?.completion_tokens },
    };
  };

  const readStream = async (res: Response): Promise<RawCompletion> => {
    if (!res.body) throw remoteError(`${shownUrl} answered ${res.status} with no body`, res.status);
    const decoder = new TextDecoder();
    let buffer = "";
    let data: string[] = [];
    let text = "";
    let finishReason = "";
    let done = false;
    const usage: TokenUsage = {};
    const dispatch = () => {
      if (data.length === 0) return;
      const payload = data.join("\n");
      data = [];
      if (payload.trim() === "[DONE]") {
        done = true;
        return;
      }
      let event: {
        choices?: Array<{ delta?: { content?: unknown }; finish_reason?: unknown }>;
        usage?: { prompt_tokens?: number; completion_tokens?: number };
        error?: unknown;
      };
      try {
        event = JSON.parse(payload);
      } catch {
        throw remoteError(
          `${shownUrl} sent a stream event that is not JSON: ${JSON.stringify(clip(scrub(payload), 200))}`,
          res.status,
        );
      }
      if (event.error !== undefined)
        throw remoteError(
          `${shownUrl} reported an error in the stream: ${clip(scrub(serverMessage(JSON.stringify(event))))}`,
          res.status,
        );
      const choice = event.choices?.[0];
      if (typeof choice?.delta?.content === "string") text += choice.delta.content;
      if (typeof choice?.finish_reason === "string") finishReason = choice.finish_reason;
      if (event.usage) {
        usage.promptTokens = event.usage.prompt_tokens;
        usage.completionTokens = event.usage.completion_tokens;
      }
    };
    const feed = (chunk: string) => {
      buffer += chunk;
      for (;;) {
        const nl = buffer.search(/\r\n|\r|\n/);
        if (nl < 0) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") dispatch();
        else if (line.startsWith(":")) continue;
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
    };
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      feed(decoder.decode(chunk, { stream: true }));
      if (done) break;
    }
    feed(decoder.decode());
    if (buffer) feed("\n");
    dispatch();
    if (!done && !finishReason)
      throw remoteError(
        `${shownUrl} ended the stream before the answer was complete (no [DONE])`,
        res.status,
      );
    return { text, finishReason: finishReason || "stop", usage };
  };

  /** Sends one conversation, with retries on 429/5xx and the response_format fallback of `auto`. */
  const complete = async (
    request: GenerateObjectRequest,
    messages: ChatMessage[],
  ): Promise<RawCompletion> => {
    for (let retry = 0; ; retry++) {
      const body = buildBody(request, messages);
      const started = Date.now();
      logger.debug("genai request", {
        provider: OPENAI_COMPATIBLE_PROVIDER,
        url: shownUrl,
        model,
        mode,
        stream,
        attempt: retry + 1,
      });
      const r = await attempt(body, request.signal);
      if (r.ok) {
        logger.debug("genai answer", {
          provider: OPENAI_COMPATIBLE_PROVIDER,
          model,
          ms: Date.now() - started,
          finishReason: r.completion.finishReason,
        });
        return r.completion;
      }
      const said = clip(scrub(serverMessage(r.text)));
      if (auto && mode !== "prompt" && rejectsResponseFormat(r.status, r.text)) {
        const next = mode === "json_schema" ? "json_object" : "prompt";
        logger.warn("genai: the server rejected response_format; falling back", {
          provider: OPENAI_COMPATIBLE_PROVIDER,
          model,
          from: mode,
          to: next,
          status: r.status,
          server: said,
        });
        mode = next;
        retry--;
        continue;
      }
      if (retryable(r.status) && retry < maxRetries) {
        const hinted = retryAfterMs(r.headers);
        const backoff = Math.random() * Math.min(maxDelay, baseDelay * 2 ** retry);
        const waitMs = Math.min(maxDelay, hinted ?? backoff);
        logger.warn("genai: retrying", {
          provider: OPENAI_COMPATIBLE_PROVIDER,
          model,
          status: r.status,
          waitMs: Math.round(waitMs),
          retry: retry + 1,
          of: maxRetries,
        });
        try {
          await sleep(waitMs, request.signal);
        } catch (e) {
          throw new CancelledError({ path: "genai.openai-compatible", reason: e });
        }
        continue;
      }
      const tries = retry + 1;
      const hint =
        r.status === 401 || r.status === 403
          ? apiKey === undefined
            ? ` No API key was sent: set ${keyEnv} (or apiKeyEnv to the variable that holds it).`
            : ` Check the key in ${keySource}${keyHeader === "authorization" ? " (Azure OpenAI takes apiKeyHeader: api-key)" : ""}.`
          : r.status === 404
            ? ` Check baseUrl (the API root, e.g. .../v1) and that model ${JSON.stringify(model)} exists there.`
            : retryable(r.status)
              ? ` Gave up after ${tries} attempt${tries === 1 ? "" : "s"} (maxRetries ${maxRetries}).`
              : "";
      throw remoteError(`${shownUrl} answered ${r.status}: ${said || "(no message)"}.${hint}`, r.status);
    }
  };

  return {
    provider: OPENAI_COMPATIBLE_PROVIDER,
    model,
    generateObject<T>(request: GenerateObjectRequest): Promise<GenerateObjectResult<T>> {
      return generateStructured<T>({
        provider: OPENAI_COMPATIBLE_PROVIDER,
        model,
        request,
        complete: (messages) => complete(request, messages),
        scrub,
      });
    },
    previewRequest(request: GenerateObjectRequest): RequestPreview {
      return {
        provider: OPENAI_COMPATIBLE_PROVIDER,
        model,
        destination: `POST ${shownUrl}`,
        headers: headersFor(true),
        body: JSON.stringify(buildBody(request, request.messages)),
      };
    },
    async close() {},
  };
}
