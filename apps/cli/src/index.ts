/** Programmatic API of the lolpop CLI: plugin discovery and the `main` entry. */
export { main } from "./cli.js";
export {
  type DiscoveredPlugin,
  declaredPlugins,
  discoverPlugins,
  findPackageRoot,
  importPlugin,
  loadPlugins,
  resolvePackageDir,
  typesUsed,
} from "./discovery.js";
export { renderSummary } from "./summary.js";
