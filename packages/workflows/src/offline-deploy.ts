import { CHAMPION_ALIAS, definePipeline } from "@lolpop/core";
import type { DeployResult, StageOptions, TrainResult } from "./types.js";

interface DeployConfig {
  require_beat_champion: boolean;
  require_beat_baseline: boolean;
  min_improvement: number;
  gate_on_data_check: boolean;
  approval: "automatic" | "manual";
}

/**
 * `OfflineDeploy`: applies the promotion policy to a trained challenger and, when it passes,
 * moves the `champion` alias (the previous champion is kept).
 */
export const offlineDeploy = definePipeline({
  type: "OfflineDeploy",
  description: "Applies an explicit promotion policy and moves the champion alias.",
  requires: ["model_repository"],
  uses: ["metadata_tracker"],
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      require_beat_champion: {
        type: "boolean",
        default: true,
        description: "Promote only if strictly better than the champion on the comparison split.",
      },
      require_beat_baseline: {
        type: "boolean",
        default: true,
        description: "Promote only if strictly better than the baseline (most frequent class / mean).",
      },
      min_improvement: {
        type: "number",
        minimum: 0,
        default: 0,
        description: "Minimum improvement over the champion (absolute, in perf_metric units).",
      },
      gate_on_data_check: {
        type: "boolean",
        default: true,
        description: "Do not promote when the data check reported ERROR.",
      },
      approval: {
        enum: ["automatic", "manual"],
        default: "automatic",
        description: "manual: promote only versions approved in the model repository beforehand.",
      },
    },
  },
  create: (ctx) => {
    const cfg = ctx.config as unknown as DeployConfig;
    return {
      /** Decides on promotion and promotes when the policy allows. */
      async deploy_model(trained: TrainResult, options: StageOptions = {}): Promise<DeployResult> {
        const repo = ctx.component("model_repository");
        const c = trained.comparison;
        const reasons: string[] = [];
        let ok = true;
        const m = trained.perf_metric;
        if (cfg.require_beat_baseline && !c.beats_baseline) {
          ok = false;
          reasons.push(
            `does not beat the baseline on ${c.split} ${m} (${c.challenger.toFixed(4)} vs ${c.baseline.toFixed(4)})`,
          );
        }
        if (cfg.require_beat_champion && c.champion !== undefined) {
          const diff = Math.abs(c.challenger - c.champion);
          if (!c.beats_champion) {
            ok = false;
            reasons.push(
              `does not beat champion v${trained.champion?.version} on ${c.split} ${m} (${c.challenger.toFixed(4)} vs ${c.champion.toFixed(4)})`,
            );
          } else if (diff < cfg.min_improvement) {
            ok = false;
            reasons.push(
              `improves on champion by ${diff.toFixed(4)}, less than min_improvement ${cfg.min_improvement}`,
            );
          }
        }
        if (cfg.gate_on_data_check && trained.data_check === "ERROR") {
          ok = false;
          reasons.push("the data check reported ERROR");
        }
        if (ok && cfg.approval === "manual") {
          const approved = await repo.check_approval(trained.model_name, trained.version);
          if (!approved) {
            ok = false;
            reasons.push(
              `manual approval required: approve ${trained.model_name} v${trained.version} in the model repository, then deploy again`,
            );
          }
        } else if (ok) {
          await repo.approve_model(trained.model_name, trained.version, {
            approved_by: "lolpop (automatic approval policy)",
          });
        }
        if (ok) {
          await repo.promote_model(trained.model_name, trained.version);
          reasons.push(
            c.champion === undefined
              ? "no champion yet"
              : `beats champion v${trained.champion?.version} on ${c.split} ${m}`,
          );
        }
        const tracker = ctx.optionalComponent("metadata_tracker");
        if (tracker && options.run_id)
          await tracker.log_tags(options.run_id, {
            promoted: String(ok),
            promotion_reasons: reasons.join("; "),
          });
        if (!ok)
          await ctx.notify(
            `model ${trained.model_name} v${trained.version} was not promoted: ${reasons.join("; ")}`,
            "info",
          );
        const champion = await repo.get_alias(trained.model_name, CHAMPION_ALIAS);
        return {
          version: trained.version,
          promoted: ok,
          reasons,
          ...(champion ? { champion_version: champion.version } : {}),
        };
      },
    };
  },
});
