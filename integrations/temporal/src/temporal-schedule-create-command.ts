/** `lolpop schedule create` (module listed in the manifest; see temporal-schedule-commands.ts). */
import { defineCommand } from "@lolpop/core/manifest";
import { scheduleCreate } from "./temporal-schedule-commands.js";

export default defineCommand(scheduleCreate);
