/**
 * `--dry-run`: the exact prompt and what would be sent, printed instead of sending anything.
 */
import type { GenerateObjectRequest, LanguageModel } from "./genai-types.js";

/** Text for a terminal: control characters other than line feeds and tabs removed. */
function printable(text: string): string {
  return text.replace(/[^\P{Cc}\n\t]/gu, "");
}

/**
 * What `model` would be sent for `request`, for people: destination, headers (the key shown as a
 * placeholder naming where it comes from), each message of the prompt in full, the answer's JSON
 * Schema, and the exact request body. Sends nothing.
 */
export function formatDryRun(model: LanguageModel, request: GenerateObjectRequest): string {
  const p = model.previewRequest(request);
  const out = [
    "Dry run: nothing was sent.",
    `Provider: ${p.provider} (model ${p.model})`,
    `Destination: ${p.destination}`,
  ];
  const headers = Object.entries(p.headers);
  if (headers.length) out.push("Headers:", ...headers.map(([k, v]) => `  ${k}: ${v}`));
  out.push("", "Prompt:");
  for (const m of request.messages) out.push(`--- ${m.role} ---`, m.content);
  out.push("", "Answer schema (JSON Schema):", JSON.stringify(request.schema, null, 2));
  out.push("", "Exact request body:", p.body, "");
  return printable(out.join("\n"));
}
