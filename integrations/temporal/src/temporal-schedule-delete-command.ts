/** `lolpop schedule delete` (module listed in the manifest; see temporal-schedule-commands.ts). */
import { defineCommand } from "@lolpop/core/manifest";
import { scheduleDelete } from "./temporal-schedule-commands.js";

export default defineCommand(scheduleDelete);
