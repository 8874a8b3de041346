// Protocol tests of the openai-compatible provider against a fake chat-completions server started by
// the test on 127.0.0.1: request shape, streaming off and on, 429 and 5xx handling, malformed answers
// repaired or refused, the response_format fallback, and the API key absent from every log line,
// error and preview, also when the server echoes it.

import { createServer } from "node:net";
import {
  CancelledError,
  type JsonSchema,
  type LogFields,
  type Logger,
  type LogLevel,
  RemoteServiceError,
} from "@lolpop/core";
import {
  createOpenAICompatibleModel,
  GenaiOutputError,
  GenaiSetupError,
  type GenerateObjectRequest,
  type OpenAICompatibleOptions,
} from "../src/index.js";
import { completion, FakeOpenAIServer, streamEvents } from "./fake-openai-server.js";

const KEY = "sk-lolpop-test-KEY-8f3a9c1e77d2";
const schema: JsonSchema = {
  type: "object",
  properties: {
    summary: { type: "string" },
    options: { type: "array", items: { type: "string" } },
  },
  required: ["summary", "options"],
  additionalProperties: false,
};
const request = (extra: Partial<GenerateObjectRequest> = {}): GenerateObjectRequest => ({
  messages: [
    { role: "system", content: "You document lolpop components." },
    { role: "user", content: "Describe LocalDataConnector." },
  ],
  schema,
  schemaName: "component_doc",
  ...extra,
});
const good = JSON.stringify({ summary: "Reads CSV files.", options: ["path"] });

const server = new FakeOpenAIServer();
// Records log calls raw (no redaction of its own, unlike core's loggers): what the provider hands to
// a logger must already be free of the key.
let logText = "";
const rawLogger = (bound: LogFields): Logger => {
  const log = (level: LogLevel, msg: string, fields?: LogFields) => {
    logText += `${JSON.stringify({ level, msg, ...bound, ...fields })}\n`;
  };
  return {
    level: "debug",
    log,
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    child: (f) => rawLogger({ ...bound, ...f }),
  };
};
const logger = rawLogger({});
const make = (extra: Partial<OpenAICompatibleOptions> = {}) =>
  createOpenAICompatibleModel({
    baseUrl: server.baseUrl,
    model: "test-model",
    env: { OPENAI_API_KEY: KEY },
    retryBaseDelayMs: 1,
    logger,
    ...extra,
  });

/** Everything an error exposes: message, stack, details, and the same for its causes. */
function errorText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; cur && i < 10; i++) {
    const err = cur as Error & { details?: unknown };
    parts.push(String(err.message), String(err.stack), JSON.stringify(err.details ?? null), String(cur));
    cur = (cur as { cause?: unknown }).cause;
  }
  return parts.join("\n");
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  await server.start();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  server.reset();
  logText = "";
});
afterEach(() => {
  // Whatever the test did, the key never reached a log line.
  expect(logText).not.toContain(KEY);
});

describe("request shape", () => {
  test("POSTs a chat completion with the schema as response_format, the key as a bearer token", async () => {
    server.reply({ json: completion(good) });
    const model = make();
    const result = await model.generateObject<{ summary: string; options: string[] }>(
      request({ maxTokens: 200, seed: 7 }),
    );
    expect(result).toMatchObject({
      value: { summary: "Reads CSV files.", options: ["path"] },
      text: good,
      repaired: false,
      provider: "openai-compatible",
      model: "test-model",
      finishReason: "stop",
      usage: { promptTokens: 11, completionTokens: 7 },
    });
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.body).toEqual({
      model: "test-model",
      messages: request().messages,
      temperature: 0,
      seed: 7,
      max_tokens: 200,
      stream: false,
      response_format: {
        type: "json_schema",
        json_schema: { name: "component_doc", schema, strict: true },
      },
    });
  });

  test("Azure style: api-key header and api-version query parameter", async () => {
    server.reply({ json: completion(good) });
    await make({ apiKeyHeader: "api-key", query: { "api-version": "2024-10-21" } }).generateObject(request());
    const req = server.requests[0]!;
    expect(req.headers["api-key"]).toBe(KEY);
    expect(req.headers.authorization).toBeUndefined();
    expect(req.query).toEqual({ "api-version": "2024-10-21" });
  });

  test("no key in the environment: no credential header (local servers such as ollama)", async () => {
    server.reply({ json: completion(good) });
    await make({ env: {} }).generateObject(request());
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    expect(server.requests[0]!.headers["api-key"]).toBeUndefined();
  });

  test("apiKeyEnv names the variable the key is read from", async () => {
    server.reply({ json: completion(good) });
    await make({
      apiKeyEnv: "MY_LLM_KEY",
      env: { MY_LLM_KEY: KEY, OPENAI_API_KEY: "other-key-value" },
    }).generateObject(request());
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  test("previewRequest shows the exact body that is sent, and no key", async () => {
    server.reply({ json: completion(good) });
    const model = make();
    const preview = model.previewRequest(request());
    expect(server.requests).toHaveLength(0);
    await model.generateObject(request());
    expect(preview.body).toBe(server.requests[0]!.rawBody);
    expect(preview.destination).toBe(`POST ${server.baseUrl}/chat/completions`);
    expect(preview.headers.authorization).toBe("Bearer <key from OPENAI_API_KEY>");
    expect(JSON.stringify(preview)).not.toContain(KEY);
  });

  test("bad settings are refused before anything is sent", () => {
    expect(() => make({ baseUrl: "ftp://example.org/v1" })).toThrow(GenaiSetupError);
    expect(() => make({ baseUrl: "not a url" })).toThrow(/not an http\(s\) URL/);
    expect(() => make({ model: "" })).toThrow(/`model` is required/);
  });
});

describe("streaming", () => {
  test("stream on: asks for server-sent events and assembles the deltas", async () => {
    const parts = ['{"summary": "Reads', ' CSV files.", "opt', 'ions": ["path"]}'];
    server.reply({ events: streamEvents(parts) });
    const result = await make({ stream: true }).generateObject(request());
    expect(server.requests[0]!.body.stream).toBe(true);
    expect(server.requests[0]!.headers.accept).toBe("text/event-stream");
    expect(result.text).toBe(parts.join(""));
    expect(result.value).toEqual({ summary: "Reads CSV files.", options: ["path"] });
    expect(result.finishReason).toBe("stop");
  });

  test("stream off: one JSON answer", async () => {
    server.reply({ json: completion(good) });
    await make({ stream: false }).generateObject(request());
    expect(server.requests[0]!.body.stream).toBe(false);
  });

  test("a stream cut before [DONE] and before a finish reason is an error, not a partial answer", async () => {
    const events = streamEvents(['{"summary": "Rea']).slice(0, 2);
    server.reply({ events, end: "abrupt" });
    const e = await rejection(make({ stream: true, maxRetries: 0 }).generateObject(request()));
    expect(RemoteServiceError.isInstance(e)).toBe(true);
    expect((e as Error).message).toMatch(
      /ended the stream before the answer was complete|reading the answer/,
    );
  });

  test("an error event in the stream is reported with the server's message", async () => {
    server.reply({ events: [JSON.stringify({ error: { message: "model overloaded" } })] });
    const e = await rejection(make({ stream: true }).generateObject(request()));
    expect((e as Error).message).toMatch(/reported an error in the stream: model overloaded/);
  });
});

describe("429 and 5xx", () => {
  test("429 is retried, waiting what Retry-After says", async () => {
    server.reply(
      { status: 429, json: { error: { message: "Rate limit reached" } }, headers: { "retry-after-ms": "5" } },
      { json: completion(good) },
    );
    const result = await make().generateObject(request());
    expect(result.value).toEqual(JSON.parse(good));
    expect(server.requests).toHaveLength(2);
    const warning = logText
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === "genai: retrying");
    expect(warning).toMatchObject({ status: 429, waitMs: 5, retry: 1, of: 3 });
  });

  test("500 is retried up to maxRetries, then reported with the status and the attempts", async () => {
    server.reply({ status: 500, json: { error: { message: "internal failure" } } });
    const e = await rejection(make({ maxRetries: 2 }).generateObject(request()));
    expect(server.requests).toHaveLength(3);
    expect(RemoteServiceError.isInstance(e)).toBe(true);
    expect((e as RemoteServiceError).status).toBe(500);
    expect((e as Error).message).toMatch(
      /answered 500: internal failure\. Gave up after 3 attempts \(maxRetries 2\)/,
    );
  });

  test("502, 503 then success", async () => {
    server.reply(
      { status: 502, text: "bad gateway" },
      { status: 503, text: "unavailable" },
      { json: completion(good) },
    );
    const result = await make().generateObject(request());
    expect(result.value).toEqual(JSON.parse(good));
    expect(server.requests).toHaveLength(3);
  });

  test("other 4xx are not retried", async () => {
    server.reply({ status: 400, json: { error: { message: "messages: too long" } } });
    const e = await rejection(make().generateObject(request()));
    expect(server.requests).toHaveLength(1);
    expect((e as RemoteServiceError).status).toBe(400);
    expect((e as Error).message).toMatch(/answered 400: messages: too long/);
  });

  test("401 says which variable the key came from, never the key", async () => {
    server.reply({ status: 401, json: { error: { message: "Incorrect API key provided" } } });
    const e = await rejection(make().generateObject(request()));
    expect(server.requests).toHaveLength(1);
    expect((e as Error).message).toMatch(
      /answered 401: Incorrect API key provided\. Check the key in OPENAI_API_KEY/,
    );
    expect(errorText(e)).not.toContain(KEY);
  });

  test("401 without a key says to set one", async () => {
    server.reply({ status: 401, json: { error: { message: "missing credentials" } } });
    const e = await rejection(make({ env: {} }).generateObject(request()));
    expect((e as Error).message).toMatch(/No API key was sent: set OPENAI_API_KEY/);
  });
});

describe("malformed answers", () => {
  test("text that is not JSON gets one repair round with the problem, and the repaired answer is used", async () => {
    server.reply(
      { json: completion("Sure! Here is the summary: it reads CSV files.") },
      { json: completion(good) },
    );
    const result = await make().generateObject(request());
    expect(result.repaired).toBe(true);
    expect(result.value).toEqual(JSON.parse(good));
    expect(result.usage).toEqual({ promptTokens: 22, completionTokens: 14 });
    expect(server.requests).toHaveLength(2);
    const repair = server.requests[1]!.body.messages;
    expect(repair.slice(0, 2)).toEqual(request().messages);
    expect(repair[2]).toEqual({
      role: "assistant",
      content: "Sure! Here is the summary: it reads CSV files.",
    });
    expect(repair[3].role).toBe("user");
    expect(repair[3].content).toMatch(/not valid JSON/);
  });

  test("JSON that breaks the schema is repaired too, the problems named", async () => {
    server.reply(
      { json: completion(JSON.stringify({ summary: 3, options: ["path"], extra: true })) },
      { json: completion(good) },
    );
    const result = await make().generateObject(request());
    expect(result.repaired).toBe(true);
    const repairText = server.requests[1]!.body.messages[3].content;
    expect(repairText).toContain("/summary: must be string");
    expect(repairText).toContain('(root): unexpected property "extra"');
  });

  test("a second bad answer is refused with a GenaiOutputError", async () => {
    server.reply({ json: completion("{not json") }, { json: completion('{"summary": 1}') });
    const e = await rejection(make().generateObject(request()));
    expect(GenaiOutputError.isInstance(e)).toBe(true);
    const err = e as GenaiOutputError;
    expect(err.problems).toEqual(expect.arrayContaining(["/summary: must be string"]));
    expect(err.truncated).toBe(false);
    expect(err.message).toMatch(/also after one repair round/);
    expect(server.requests).toHaveLength(2);
  });

  test("an answer cut at max_tokens is refused at once (a repair round would be cut too)", async () => {
    server.reply({ json: completion('{"summary": "Reads CSV fi', "length") });
    const e = await rejection(make().generateObject(request({ maxTokens: 8 })));
    expect(GenaiOutputError.isInstance(e)).toBe(true);
    expect((e as GenaiOutputError).truncated).toBe(true);
    expect((e as Error).message).toMatch(/token limit \(maxTokens 8\)/);
    expect(server.requests).toHaveLength(1);
  });

  test("JSON inside a code fence or prose is accepted", async () => {
    server.reply({ json: completion(`Here you go:\n\`\`\`json\n${good}\n\`\`\`\n`) });
    const result = await make().generateObject(request());
    expect(result.repaired).toBe(false);
    expect(result.value).toEqual(JSON.parse(good));
  });

  test("a 200 whose body is not JSON is a clear error", async () => {
    server.reply({ text: "<html>login page</html>" });
    const e = await rejection(make().generateObject(request()));
    expect((e as Error).message).toMatch(/body that is not JSON.*Is baseUrl the API root/);
  });
});

describe("structured output modes", () => {
  test("auto: a server that rejects json_schema gets json_object, then the choice is kept", async () => {
    server.reply(
      { status: 400, json: { error: { message: "response_format type json_schema is not supported" } } },
      { json: completion(good) },
      { json: completion(good) },
    );
    const model = make();
    await model.generateObject(request());
    await model.generateObject(request());
    expect(server.requests.map((r) => r.body.response_format?.type)).toEqual([
      "json_schema",
      "json_object",
      "json_object",
    ]);
    // Without the schema in response_format, it goes into the system message.
    const system = server.requests[1]!.body.messages[0];
    expect(system.role).toBe("system");
    expect(system.content).toContain("You document lolpop components.");
    expect(system.content).toContain(JSON.stringify(schema));
  });

  test("auto: down to the prompt alone when json_object is rejected too", async () => {
    server.reply(
      { status: 400, json: { error: { message: "unknown field response_format" } } },
      { status: 400, json: { error: { message: "unknown field response_format" } } },
      { json: completion(good) },
    );
    await make().generateObject(request());
    expect(server.requests.map((r) => r.body.response_format)).toEqual([
      expect.objectContaining({ type: "json_schema" }),
      { type: "json_object" },
      undefined,
    ]);
  });

  test("strict mode gets the portable schema; length limits are enforced by validation and repair", async () => {
    const limited: JsonSchema = {
      type: "object",
      properties: { summary: { type: "string", maxLength: 20, description: "one line" } },
      required: ["summary"],
      additionalProperties: false,
    };
    server.reply(
      {
        json: completion(JSON.stringify({ summary: "a summary that is far longer than twenty characters" })),
      },
      { json: completion(JSON.stringify({ summary: "short enough" })) },
    );
    const result = await make().generateObject(request({ schema: limited }));
    expect(server.requests[0]!.body.response_format.json_schema.schema).toEqual({
      type: "object",
      properties: { summary: { type: "string", description: "one line" } },
      required: ["summary"],
      additionalProperties: false,
    });
    expect(server.requests[1]!.body.messages[3].content).toContain(
      "/summary: must NOT have more than 20 characters",
    );
    expect(result).toMatchObject({ repaired: true, value: { summary: "short enough" } });
  });

  test("strictSchema false sends the schema as given", async () => {
    const limited: JsonSchema = { type: "object", properties: { s: { type: "string", maxLength: 5 } } };
    server.reply({ json: completion('{"s": "ok"}') });
    await make({ strictSchema: false }).generateObject(request({ schema: limited }));
    expect(server.requests[0]!.body.response_format.json_schema).toEqual({
      name: "component_doc",
      schema: limited,
      strict: false,
    });
  });

  test("a forced mode does not fall back", async () => {
    server.reply({ status: 400, json: { error: { message: "response_format json_schema not supported" } } });
    const e = await rejection(make({ structuredOutput: "json_schema" }).generateObject(request()));
    expect((e as RemoteServiceError).status).toBe(400);
    expect(server.requests).toHaveLength(1);
  });
});

describe("timeouts, network errors, cancellation", () => {
  test("no answer within timeoutMs: an error naming the option, not retried", async () => {
    server.reply({ hang: true });
    const e = await rejection(make({ timeoutMs: 200 }).generateObject(request()));
    expect(RemoteServiceError.isInstance(e)).toBe(true);
    expect((e as Error).message).toMatch(/did not answer within 200 ms \(timeoutMs\)/);
    expect(server.requests).toHaveLength(1);
  });

  test("a server that is not there: says what to check", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const e = await rejection(make({ baseUrl: `http://127.0.0.1:${port}/v1` }).generateObject(request()));
    expect((e as Error).message).toMatch(
      /could not reach http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: ECONNREFUSED/,
    );
    expect((e as Error).message).toMatch(/Check baseUrl/);
  });

  test("the caller's signal cancels a request in flight", async () => {
    server.reply({ hang: true });
    const ac = new AbortController();
    const p = make().generateObject(request({ signal: ac.signal }));
    setTimeout(() => ac.abort(new Error("user pressed ctrl-c")), 50);
    const e = await rejection(p);
    expect(CancelledError.isInstance(e)).toBe(true);
  });
});

describe("the key never leaks", () => {
  const echoAuth = (status: number) => (req: { headers: Record<string, unknown> }) => ({
    status,
    json: { error: { message: `bad request from ${String(req.headers.authorization)}` } },
  });

  test.each([
    [400, "a 400 whose message quotes the Authorization header"],
    [401, "a 401 whose message quotes the key"],
    [500, "a 500 repeated until the retries run out"],
  ])("server echoes the key in %s (%s): absent from the error", async (status) => {
    server.reply(echoAuth(status));
    const e = await rejection(make({ maxRetries: 1 }).generateObject(request()));
    expect(RemoteServiceError.isInstance(e)).toBe(true);
    expect((e as Error).message).toContain("***");
    expect(errorText(e)).not.toContain(KEY);
  });

  test("server echoes the key inside the answer: it reaches neither the value nor the text", async () => {
    server.reply((req) => ({
      json: completion(JSON.stringify({ summary: `key ${String(req.headers.authorization)}`, options: [] })),
    }));
    const result = await make().generateObject(request());
    expect(JSON.stringify(result)).not.toContain(KEY);
    expect((result.value as { summary: string }).summary).toBe("key Bearer ***");
  });

  test("server echoes the key in a malformed answer: absent from the repair round and the refusal", async () => {
    server.reply((req) => ({ json: completion(`oops ${String(req.headers.authorization)} {`) }));
    const e = await rejection(make().generateObject(request()));
    expect(GenaiOutputError.isInstance(e)).toBe(true);
    expect(errorText(e)).not.toContain(KEY);
    expect((e as GenaiOutputError).excerpt).not.toContain(KEY);
    // The repair round sends the model's answer back: scrubbed, so the key is not sent in a body either.
    expect(server.requests[1]!.rawBody).not.toContain(KEY);
  });

  test("server echoes the key in a stream error event", async () => {
    server.reply((req) => ({
      events: [
        JSON.stringify({ error: { message: `quota exceeded for ${String(req.headers.authorization)}` } }),
      ],
    }));
    const e = await rejection(make({ stream: true }).generateObject(request()));
    expect(errorText(e)).not.toContain(KEY);
  });

  test("a key given in the URL's query (some gateways) is scrubbed from errors and logs", async () => {
    server.reply({ status: 404, json: { error: { message: "no such model" } } });
    const e = await rejection(
      make({ env: {}, apiKey: KEY, apiKeyHeader: "api-key", query: { key: KEY } }).generateObject(request()),
    );
    expect((e as Error).message).toMatch(/answered 404: no such model\. Check baseUrl/);
    expect(errorText(e)).not.toContain(KEY);
  });

  test("the preview and debug logs of a successful call hold no key", async () => {
    server.reply({ json: completion(good) });
    const model = make();
    const preview = model.previewRequest(request());
    await model.generateObject(request());
    expect(JSON.stringify(preview)).not.toContain(KEY);
    expect(logText).toContain('"msg":"genai request"');
  });
});
