// A scripted OpenAI-compatible chat-completions server on 127.0.0.1 (a free port), for protocol tests:
// records every request and answers with the next scripted reply (JSON, plain text, a stream of
// server-sent events, or no answer at all).
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: any;
}

/** What the server answers to one request. */
export type Reply =
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | { status?: number; text: string; headers?: Record<string, string> }
  /** Server-sent events: each string is sent as one `data:` event (split over two writes to test reassembly). */
  | { events: string[]; status?: number; end?: "done" | "abrupt" }
  /** Never answers (the client's timeout must fire). */
  | { hang: true };

/** A chat-completions answer whose message content is `content`. */
export function completion(
  content: string,
  finishReason = "stop",
  usage = { prompt_tokens: 11, completion_tokens: 7 },
) {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 1,
    model: "test-model",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finishReason }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

/** The stream events of an answer whose content is `parts` joined. */
export function streamEvents(parts: string[], finishReason = "stop"): string[] {
  return [
    JSON.stringify({ choices: [{ index: 0, delta: { role: "assistant", content: "" } }] }),
    ...parts.map((p) =>
      JSON.stringify({ choices: [{ index: 0, delta: { content: p }, finish_reason: null }] }),
    ),
    JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: finishReason }] }),
    "[DONE]",
  ];
}

export class FakeOpenAIServer {
  readonly requests: RecordedRequest[] = [];
  private replies: Array<Reply | ((req: RecordedRequest) => Reply)> = [];
  private server?: Server;
  private readonly open = new Set<ServerResponse>();
  baseUrl = "";

  /** Queues replies, used in order; the last one is repeated when the queue runs dry. */
  reply(...replies: Array<Reply | ((req: RecordedRequest) => Reply)>): this {
    this.replies.push(...replies);
    return this;
  }

  reset(): void {
    this.requests.length = 0;
    this.replies = [];
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const rawBody = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = JSON.parse(rawBody);
        } catch {
          body = undefined;
        }
        const recorded: RecordedRequest = {
          method: req.method ?? "",
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          rawBody,
          body,
        };
        this.requests.push(recorded);
        const next = this.replies.length > 1 ? this.replies.shift() : this.replies[0];
        const reply = typeof next === "function" ? next(recorded) : next;
        this.send(res, reply ?? { status: 500, json: { error: { message: "no reply scripted" } } });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/v1`;
    return this.baseUrl;
  }

  private send(res: ServerResponse, reply: Reply): void {
    this.open.add(res);
    res.on("close", () => this.open.delete(res));
    if ("hang" in reply) return;
    if ("events" in reply) {
      res.writeHead(reply.status ?? 200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
      });
      const events = reply.end === "abrupt" ? reply.events.filter((e) => e !== "[DONE]") : reply.events;
      let i = 0;
      const tick = () => {
        if (i >= events.length) {
          if (reply.end === "abrupt") res.destroy();
          else res.end();
          return;
        }
        const frame = `data: ${events[i++]}\n\n`;
        const cut = Math.floor(frame.length / 2);
        res.write(frame.slice(0, cut));
        setImmediate(() => {
          res.write(frame.slice(cut));
          setImmediate(tick);
        });
      };
      res.write(": keep-alive comment\n\n");
      tick();
      return;
    }
    const status = reply.status ?? 200;
    if ("json" in reply) {
      res.writeHead(status, { "content-type": "application/json", ...reply.headers });
      res.end(JSON.stringify(reply.json));
    } else {
      res.writeHead(status, { "content-type": "text/plain", ...reply.headers });
      res.end(reply.text);
    }
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
