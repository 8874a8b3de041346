/** `lolpop schedule list` (module listed in the manifest; see temporal-schedule-commands.ts). */
import { defineCommand } from "@lolpop/core/manifest";
import { scheduleList } from "./temporal-schedule-commands.js";

export default defineCommand(scheduleList);
