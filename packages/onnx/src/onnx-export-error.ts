import { LolpopError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.OnnxExportError");

/**
 * A model or feature transformer cannot be exported to ONNX as it is: the message names what ONNX
 * cannot express (a column, a layer, an option) and what to change. Nothing is ever dropped
 * silently instead.
 */
export class OnnxExportError extends LolpopError {
  private readonly [MARKER] = true;
  /** What could not be expressed, e.g. `feature "island" (encoding passthrough)`. */
  readonly unsupported: string;

  constructor(opts: {
    message: string;
    unsupported: string;
    details?: Record<string, unknown>;
    cause?: unknown;
  }) {
    super({
      message: opts.message,
      code: "onnx_unsupported",
      details: { unsupported: opts.unsupported, ...opts.details },
      cause: opts.cause,
    });
    this.name = "OnnxExportError";
    this.unsupported = opts.unsupported;
  }

  /** True for this error from any copy of `@lolpop/onnx`. */
  static override isInstance(error: unknown): error is OnnxExportError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
