/** `lolpop runs cancel <id>` (module listed in the manifest; see temporal-runs-commands.ts). */
import { defineCommand } from "@lolpop/core/manifest";
import { runsCancel } from "./temporal-runs-commands.js";

export default defineCommand(runsCancel);
