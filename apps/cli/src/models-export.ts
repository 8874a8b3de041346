/**
 * `lolpop models export name/version|name@alias --format onnx [--out DIR]`: writes a registered
 * version as one ONNX model (feature transformer + model in one graph, taking the raw feature
 * columns) through @lolpop/onnx. The version is found through the config's model repository,
 * opened by `openStore` as the other `models` commands open it (`get_alias`, `get_model_version`,
 * `download_model`); nothing of the workflow runs.
 *
 * Exit codes: 0 written; 1 the version cannot be exported (the message names the piece ONNX cannot
 * express) or the repository failed; 2 a bad argument or config.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { ExitError } from "./format.js";

/** Options of the command as commander parses them. */
interface ExportOptions {
  format: string;
  out?: string;
  config?: string;
  json?: boolean;
}

/** What `--json` prints on success. */
export interface ModelsExportResult {
  ok: true;
  name: string;
  version: number;
  format: string;
  /** Absolute path of the written file. */
  path: string;
  bytes: number;
  inputs: Array<{ name: string; type: string }>;
  outputs: Array<{ name: string; type: string }>;
}

const write = (s: string) => process.stdout.write(`${s}\n`);

/** Adds `export` to a commander `models` group; `setExitCode` receives the command's exit code. */
export function addModelsExportCommand(models: Command, setExitCode: (code: number) => void): Command {
  return models
    .command("export")
    .description(
      "Write a registered model version as one ONNX model (feature transformer + model, taking the raw feature columns); what ONNX cannot express is refused by name",
    )
    .argument("<model>", "the version: name/version (e.g. penguins/3) or name@alias (e.g. penguins@champion)")
    .requiredOption("--format <format>", "export format: onnx")
    .option("--out <dir>", "folder to write model.onnx into (created when missing)", ".")
    .option("-c, --config <file>", "workflow config whose model_repository holds the model", "lolpop.yaml")
    .option("--json", "print the result as JSON ({ok, name, version, format, path, bytes, inputs, outputs})")
    .addHelpText(
      "after",
      "\nExit codes: 0 written; 1 the version cannot be exported or the repository failed; 2 bad arguments or config.\nExample: lolpop models export penguins@champion --format onnx --out exported/",
    )
    .action(async (ref: string, opts: ExportOptions) => {
      setExitCode(await modelsExport(ref, opts));
    });
}

async function modelsExport(ref: string, opts: ExportOptions): Promise<number> {
  const core = await import("@lolpop/core");
  if (!(core.MODEL_EXPORT_FORMATS as readonly string[]).includes(opts.format))
    throw new ExitError(
      2,
      `--format ${opts.format} is not an export format: use ${core.MODEL_EXPORT_FORMATS.join(", ")}`,
    );
  const { openStore } = await import("./models-store.js");
  const parsed = core.parseModelRef(ref);
  const onnx = await import("@lolpop/onnx").catch((cause) => {
    throw new ExitError(
      1,
      `@lolpop/onnx is needed to export models and could not be loaded (${(cause as Error)?.message ?? cause}): npm install @lolpop/onnx`,
    );
  });
  const { versionComponentHost } = await import("./models-host.js");
  const store = await openStore(opts.config);
  const logger = core.createLogger({ level: "warn", stream: process.stderr });
  const host = await versionComponentHost(store, { path: "export", logger });
  try {
    const exported = await onnx.exportModelVersion({
      repository: store.repo,
      host,
      ref: parsed,
      format: opts.format as "onnx",
    });
    const path = await onnx.writeExport(exported, resolve(opts.out ?? "."));
    const tensors = (values: typeof exported.model.graph.inputs) =>
      values.map((v) => ({ name: v.name, type: "tensor" in v.type ? v.type.tensor : "other" }));
    const result: ModelsExportResult = {
      ok: true,
      name: exported.name,
      version: exported.version,
      format: exported.format,
      path,
      bytes: exported.bytes.byteLength,
      inputs: tensors(exported.model.graph.inputs),
      outputs: tensors(exported.model.graph.outputs),
    };
    if (opts.json) write(core.terminalJson(result));
    else
      write(
        core.stripControlChars(
          `exported ${result.name} v${result.version} to ${path} (${(result.bytes / 1024).toFixed(1)} kB; inputs: ${result.inputs.map((i) => `${i.name} ${i.type}`).join(", ")}; outputs: ${result.outputs.map((o) => o.name).join(", ")})`,
        ),
      );
    return 0;
  } catch (e) {
    if (opts.json && core.LolpopError.isInstance(e)) {
      write(
        core.terminalJson({
          ok: false,
          error: {
            code: e.code,
            message: core.redactText(e.message),
            ...(onnx.OnnxExportError.isInstance(e) ? { unsupported: e.unsupported } : {}),
          },
        }),
      );
      if (core.DataError.isInstance(e) || core.StoreError.isInstance(e) || onnx.OnnxExportError.isInstance(e))
        throw new ExitError(1, "");
    }
    throw e;
  } finally {
    await store.close();
  }
}
