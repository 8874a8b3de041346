import { CHAMPION_ALIAS, DataError, definePipeline, MODEL_TAGS } from "@lolpop/core";
import { FORECAST_ERROR_METRICS } from "@lolpop/core/metrics";
import { isBetter } from "./offline-train.js";
import type { ChampionScore, DeployOptions, DeployResult, TrainResult } from "./types.js";

interface DeployConfig {
  require_beat_champion: boolean;
  require_beat_baseline: boolean;
  min_improvement: number;
  gate_on_data_check: boolean;
  approval: "automatic" | "manual";
  on_champion_unscorable: "keep" | "replace" | "fail";
}

const f4 = (x: number) => x.toFixed(4);

/**
 * `OfflineDeploy`: applies the promotion policy to a trained challenger and, when it passes,
 * moves the `champion` alias by compare-and-set: only if the champion is still the version the
 * decision was made against (else the result carries `conflict`, nothing moves, and the runner
 * makes the decision again). Every reason given and stored is true of the decision made.
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
      on_champion_unscorable: {
        enum: ["keep", "replace", "fail"],
        default: "keep",
        description:
          "When the champion cannot be scored on the challenger's comparison split (columns the data lacks, another data transformer...) and require_beat_champion is true: keep it, replace it with the challenger, or fail the run.",
      },
    },
  },
  create: (ctx) => {
    const cfg = ctx.config as unknown as DeployConfig;
    /** Decides on promotion and promotes when the policy allows (compare-and-set against the champion the decision was made against). */
    const deployModel = async (trained: TrainResult, options: DeployOptions = {}): Promise<DeployResult> => {
      const repo = ctx.component("model_repository");
      const tracker = ctx.optionalComponent("metadata_tracker");
      const c = trained.comparison;
      const m = trained.perf_metric;
      const name = trained.model_name;
      const v = trained.version;
      const ch = trained.champion;
      const against = ch?.version ?? null;
      const reasons: string[] = [...(options.notes ?? [])];
      const done = async (result: DeployResult): Promise<DeployResult> => {
        if (tracker && options.run_id)
          await tracker.log_tags(options.run_id, {
            promoted: String(result.promoted),
            promotion_reasons: result.reasons.join("; "),
          });
        if (!result.promoted)
          await ctx.notify(`model ${name} v${v} was not promoted: ${result.reasons.join("; ")}`, "info");
        return result;
      };

      if (ch && ch.version === v)
        return done({
          version: v,
          promoted: false,
          reasons: [...reasons, `v${v} is already the champion`],
          champion_version: v,
          decided_against: against,
        });

      let ok = true;
      /** Reasons that are true only if the alias really moves. */
      const ifPromoted: string[] = [];
      if (cfg.require_beat_baseline && !c.beats_baseline) {
        ok = false;
        reasons.push(
          `does not beat the baseline on ${c.split} ${m} (${f4(c.challenger)} vs ${f4(c.baseline)})`,
        );
      }
      if (ch && !ch.scored) {
        const what = `champion v${ch.version} could not be scored on the ${c.split} split (${ch.reason ?? "unknown reason"})`;
        if (!cfg.require_beat_champion) reasons.push(`${what}; not compared (require_beat_champion: false)`);
        else if (cfg.on_champion_unscorable === "fail")
          throw new DataError({
            message: `${what}; on_champion_unscorable: fail stops the run (set it to keep or replace to decide without the comparison)`,
            code: "champion_unscorable",
          });
        else if (cfg.on_champion_unscorable === "keep") {
          ok = false;
          reasons.push(`${what}: kept (on_champion_unscorable: keep)`);
        } else ifPromoted.push(`${what}: replaced (on_champion_unscorable: replace)`);
      } else if (ch && c.champion !== undefined) {
        const vs = `on ${c.split} ${m} (${f4(c.challenger)} vs ${f4(c.champion)})`;
        if (!c.beats_champion) {
          if (cfg.require_beat_champion) {
            ok = false;
            reasons.push(`does not beat champion v${ch.version} ${vs}`);
          } else
            reasons.push(
              `does not beat champion v${ch.version} ${vs}; not required (require_beat_champion: false)`,
            );
        } else {
          const diff = Math.abs(c.challenger - c.champion);
          if (cfg.require_beat_champion && diff < cfg.min_improvement) {
            ok = false;
            reasons.push(
              `improves on champion v${ch.version} by ${f4(diff)}, less than min_improvement ${cfg.min_improvement}`,
            );
          } else ifPromoted.push(`beats champion v${ch.version} ${vs}`);
        }
      } else if (!ch) ifPromoted.push("no champion yet");
      if (cfg.gate_on_data_check && trained.data_check === "ERROR") {
        ok = false;
        reasons.push("the data check reported ERROR");
      }
      if (ok && cfg.approval === "manual") {
        if (!(await repo.check_approval(name, v))) {
          ok = false;
          reasons.push(
            `manual approval required: run \`lolpop models approve ${name} ${v}\` (it records the approval and applies this policy again, without retraining)`,
          );
        }
      } else if (ok) {
        await repo.approve_model(name, v, { approved_by: "lolpop (automatic approval policy)" });
      }
      if (!ok) {
        const current = await repo.get_alias(name, CHAMPION_ALIAS);
        return done({
          version: v,
          promoted: false,
          reasons,
          ...(current ? { champion_version: current.version } : {}),
          decided_against: against,
        });
      }

      const why = [...reasons, ...ifPromoted];
      const res = await repo.promote_model(name, v, {
        expected_champion: against,
        reason: why.join("; "),
        promoted_by: `lolpop ${ctx.type}${options.run_id ? ` (run ${options.run_id})` : ""}`,
      });
      // A repository written against the old contract returns nothing: it moved the alias.
      const moved = res === undefined || res.promoted || res.champion === v;
      if (!moved)
        return {
          version: v,
          promoted: false,
          reasons: [
            ...reasons,
            `the champion changed from ${vName(against)} to ${vName(res.champion)} before the alias moved`,
          ],
          ...(res.champion !== null ? { champion_version: res.champion } : {}),
          decided_against: against,
          conflict: { expected: against, actual: res.champion },
        };
      ctx.lineage.recordModel({ name, version: v, promoted: true });
      return done({
        version: v,
        promoted: true,
        reasons: why,
        champion_version: v,
        decided_against: against,
      });
    };

    return {
      deploy_model: deployModel,

      /**
       * Applies the same promotion policy to a version registered earlier, without retraining
       * (`lolpop models approve`): its comparison is rebuilt from what the version recorded at
       * registration (`lolpop.perf_metric`, `lolpop.comparison_split`, the `<split>.<metric>`,
       * `baseline.<split>.<metric>` and `champion.<split>.<metric>` metrics, `lolpop.compared_with`).
       * When the champion changed since the version was trained, its score on the version's split is
       * not stored: it counts as a champion that could not be scored (`on_champion_unscorable`).
       * The data check of the training run is not evaluated again.
       * @throws DataError `version_not_comparable` when the version lacks those records.
       */
      async deploy_version(
        name: string,
        version: number,
        options: DeployOptions = {},
      ): Promise<DeployResult> {
        const repo = ctx.component("model_repository");
        const mv = await repo.get_model_version(name, version);
        const m = mv.tags[MODEL_TAGS.perfMetric];
        const split = mv.tags[MODEL_TAGS.comparisonSplit];
        const challenger = m && split ? mv.metrics[`${split}.${m}`] : undefined;
        const baseline = m && split ? mv.metrics[`baseline.${split}.${m}`] : undefined;
        if (!m || !split || challenger === undefined || baseline === undefined)
          throw new DataError({
            message: `${name} v${version} does not record what the promotion policy compares (tags ${MODEL_TAGS.perfMetric} and ${MODEL_TAGS.comparisonSplit}, metrics <split>.<metric> and baseline.<split>.<metric>; versions registered by an older lolpop lack them): run the workflow again, or promote it without the policy with \`lolpop models promote ${name} ${version}\``,
            code: "version_not_comparable",
          });
        const current = await repo.get_alias(name, CHAMPION_ALIAS);
        const comparedWith = mv.tags[MODEL_TAGS.comparedWith];
        let champion: ChampionScore | undefined;
        if (current) {
          const stored = mv.metrics[`champion.${split}.${m}`];
          if (current.version === version) champion = { version, scored: true, metrics: { [m]: challenger } };
          else if (comparedWith === String(current.version))
            champion =
              stored !== undefined
                ? { version: current.version, scored: true, metrics: { [m]: stored } }
                : {
                    version: current.version,
                    scored: false,
                    reason: `it could not be scored when v${version} was trained`,
                  };
          else
            champion = {
              version: current.version,
              scored: false,
              reason: `it became champion after v${version} was trained (which was compared with ${comparedWith && comparedWith !== "none" ? `v${comparedWith}` : "no champion"}), and its score on v${version}'s ${split} split is not stored; run the workflow again to compare them`,
            };
        }
        const championScore = champion?.scored ? champion.metrics?.[m] : undefined;
        // Forecast errors (TimeSeriesTrain's perf_metric) are all lower-is-better.
        const better = (a: number, b: number) =>
          (FORECAST_ERROR_METRICS as readonly string[]).includes(m) ? a < b : isBetter(m, a, b);
        const trained: TrainResult = {
          model_name: name,
          version,
          registered: true,
          trainer: mv.tags.trainer ?? "",
          params: {},
          perf_metric: m,
          metrics: { [split]: { [m]: challenger } },
          baseline: { [split]: { [m]: baseline } },
          ...(champion ? { champion } : {}),
          comparison: {
            split,
            challenger,
            baseline,
            ...(championScore !== undefined ? { champion: championScore } : {}),
            beats_baseline: better(challenger, baseline),
            beats_champion: !champion
              ? true
              : championScore !== undefined && better(challenger, championScore),
          },
          refit_on_all_data: false,
        };
        return deployModel(trained, options);
      },
    };
  },
});

/** `v3`, or `none`. */
export function vName(version: number | null | undefined): string {
  return version === null || version === undefined ? "none" : `v${version}`;
}
