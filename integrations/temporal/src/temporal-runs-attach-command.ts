/** `lolpop runs attach <id>` (module listed in the manifest; see temporal-runs-commands.ts). */
import { defineCommand } from "@lolpop/core/manifest";
import { runsAttach } from "./temporal-runs-commands.js";

export default defineCommand(runsAttach);
