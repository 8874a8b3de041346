import {
  DataError,
  type DatasetInfo,
  definePipeline,
  describeColumns,
  type InputTyping,
  runCachedStep,
  type StepCacheKeyParts,
  type Table,
  tableChunks,
  tableFromBytes,
} from "@lolpop/core";
import { savedComponent } from "./saved-component.js";
import { componentIdentity, localFileSha256, noteStepCache, stepCacheUse } from "./step-cache-use.js";
import type { ProcessResult, StageOptions } from "./types.js";

/** `OfflineProcess`: load data, transform it, fingerprint and track it, check it (ERROR can stop the workflow). */
export const offlineProcess = definePipeline({
  type: "OfflineProcess",
  description:
    "Loads data with the data_connector, applies the data_transformer, tracks the dataset and runs the data_checker.",
  requires: ["data_connector"],
  uses: ["data_transformer", "data_checker", "metadata_tracker"],
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      dataset_name: {
        type: "string",
        default: "training_data",
        description: "Name the dataset is tracked under.",
      },
      fail_on_check_error: {
        type: "boolean",
        default: true,
        description: "Stop the workflow when the data checker reports ERROR.",
      },
      target: {
        type: "string",
        description: "Target column (checked to exist); usually set in the runner's config.",
      },
      cache: {
        type: "boolean",
        description:
          "false: never take the loaded and transformed data from the step cache (it is still recorded for later runs). Default true.",
      },
    },
  },
  create: (ctx) => {
    const cfg = ctx.config as {
      dataset_name: string;
      fail_on_check_error: boolean;
      target?: string;
      cache?: boolean;
    };

    /**
     * The cache key parts of loading (and transforming) the data, or undefined when it cannot be
     * cached: the source is not one local file, or the transformer runs code it cannot fingerprint.
     */
    const keyParts = async (source: string | undefined): Promise<StepCacheKeyParts | undefined> => {
      const connector = ctx.componentInfo("data_connector");
      if (!connector) return undefined;
      const path = source ?? connector.config.path;
      const data = typeof path === "string" ? await localFileSha256(path, ctx.project.root) : undefined;
      if (!data) {
        ctx.logger.debug("process: not cached (the data is not one local file)");
        return undefined;
      }
      const transformer = ctx.optionalComponent("data_transformer");
      const tInfo = ctx.componentInfo("data_transformer");
      let code: string | undefined;
      if (transformer) {
        if (typeof transformer.code_tree_fingerprint === "function")
          code = (await transformer.code_tree_fingerprint())?.sha256;
        else if (
          typeof transformer.code_fingerprint === "function" &&
          (await transformer.code_fingerprint())
        ) {
          ctx.logger.debug("process: not cached (the data transformer's code cannot be fingerprinted)");
          return undefined;
        }
      }
      return {
        step: "process",
        component: componentIdentity(connector),
        ...(code ? { code } : {}),
        config: {
          connector: connector.config,
          ...(source ? { source } : {}),
          data_transformer: tInfo ? { component: componentIdentity(tInfo), config: tInfo.config } : null,
        },
        inputs: { data },
      };
    };
    return {
      /** Loads (from `source` or the connector's configured path), transforms, tracks and checks data. */
      async process_data(
        options: StageOptions & { source?: string; context?: DatasetInfo["context"] } = {},
      ): Promise<ProcessResult> {
        const transformer = ctx.optionalComponent("data_transformer");
        /** Data a run cannot use: checked before it is cached (nothing is stored for a failing run) and after a hit. */
        const checkTable = (table: Table) => {
          if (table.numRows === 0)
            throw new DataError({
              message: `${ctx.path}: the data has no rows after loading${transformer ? " and transforming" : ""}`,
            });
          if (cfg.target && options.context !== "prediction" && !table.has(cfg.target)) {
            throw new DataError({
              message: `target column "${cfg.target}" is not in the data (columns: ${table.columnNames.join(", ")}). Fix config.target or the data.`,
              code: "missing_column",
            });
          }
        };
        const use = await stepCacheUse(ctx, options, cfg.cache);
        const parts =
          use.store && options.context !== "prediction" ? await keyParts(options.source) : undefined;
        // What a model version saves to replay this stage at predict: the transformer (with the hash
        // of the code it is about to run) and the data as read, with the connector's typing.
        let transformerRecord: ProcessResult["data_transformer"];
        if (transformer) {
          const code =
            typeof transformer.code_fingerprint === "function"
              ? await transformer.code_fingerprint()
              : undefined;
          const info = ctx.componentInfo("data_transformer");
          if (info) transformerRecord = { ...savedComponent(info), ...(code ? { code } : {}) };
        }
        // Loading and transforming is the cached part: the checks and tracking below always run.
        const loaded = await runCachedStep<{ raw: Table; table: Table }>(
          parts ? use : { ...use, store: undefined },
          {
            parts: parts!,
            run: async () => {
              const raw = await ctx.component("data_connector").get_data(options.source);
              const table = transformer ? await transformer.transform(raw) : raw;
              checkTable(table);
              return { raw, table };
            },
            save: async (v) => ({
              table: tableChunks(v.table),
              ...(v.raw !== v.table ? { raw: tableChunks(v.raw) } : {}),
            }),
            restore: async (o) => {
              const table = tableFromBytes(await o.bytes("table"), "the cached table of process");
              return {
                table,
                raw: transformer
                  ? tableFromBytes(await o.bytes("raw"), "the cached raw data of process")
                  : table,
              };
            },
          },
        );
        await noteStepCache(ctx, "process", loaded, options);
        const { raw, table } = loaded.value;
        const index = ctx.lookup<string>("index");
        const connector = ctx.componentInfo("data_connector");
        const typing: InputTyping = {};
        if (connector) {
          typing.connector = connector.type;
          const columns = connector.config.columns as InputTyping["columns"] | undefined;
          if (columns && typeof columns === "object" && Object.keys(columns).length)
            typing.columns = { ...columns };
          const na = connector.config.na_values;
          if (Array.isArray(na)) typing.na_values = na.map(String);
        }
        const input = {
          columns: describeColumns(raw, {
            roles: {
              ...(index && raw.has(index) ? { [index]: "index" as const } : {}),
              ...(cfg.target && raw.has(cfg.target) ? { [cfg.target]: "target" as const } : {}),
            },
          }),
          typing,
        };
        checkTable(table);
        // Where the data came from: the given source, else the connector's configured path (for lineage).
        const configured = connector?.config.path;
        const source = options.source ?? (typeof configured === "string" ? configured : undefined);
        const dataset: DatasetInfo = {
          name: cfg.dataset_name,
          fingerprint: table.fingerprint(),
          rows: table.numRows,
          columns: table.numColumns,
          context: options.context ?? "training",
          schema: table.schema.map((s) => ({ name: s.name, type: s.type, role: s.role })),
          ...(source ? { source } : {}),
        };
        ctx.lineage.recordDataset(dataset);
        const tracker = ctx.optionalComponent("metadata_tracker");
        if (tracker && options.run_id) await tracker.log_dataset(options.run_id, dataset);
        const checker = ctx.optionalComponent("data_checker");
        let check: ProcessResult["check"];
        if (checker) {
          check = await checker.check_data(table, { name: cfg.dataset_name });
          if (tracker && options.run_id) {
            await tracker.log_tags(options.run_id, { [`data_check.${cfg.dataset_name}`]: check.status });
            for (const a of check.artifacts ?? [])
              await tracker.log_artifact(options.run_id, `checks/${a.name}`, { path: a.path });
          }
          if (check.status !== "PASS")
            await ctx.notify(
              `data check of ${cfg.dataset_name}: ${check.status} (${check.checks
                .filter((c) => c.status !== "PASS")
                .map((c) => c.message)
                .join("; ")})`,
              check.status === "ERROR" ? "error" : "warn",
            );
          if (check.status === "ERROR" && cfg.fail_on_check_error) {
            throw new DataError({
              message: `data check of ${cfg.dataset_name} failed: ${check.checks
                .filter((c) => c.status === "ERROR")
                .map((c) => c.message)
                .join("; ")}`,
              code: "data_check_failed",
            });
          }
        }
        return {
          table,
          dataset,
          ...(check ? { check } : {}),
          input,
          ...(transformerRecord ? { data_transformer: transformerRecord } : {}),
          ...(transformer ? { raw } : {}),
        };
      },
    };
  },
});
