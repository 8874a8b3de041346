import { type BundleComponent, type RegisteredType, redactValue, resolveType } from "@lolpop/core";

/**
 * A component as a model version saves it: type, validated config (redacted: a secret is `***`),
 * and the plugin (with its version) that provides the type.
 */
export function savedComponent(info: { type: string; config: Record<string, unknown> }): BundleComponent {
  let registered: RegisteredType | undefined;
  try {
    registered = resolveType(info.type);
  } catch {
    registered = undefined; // two plugins claim the bare name: the plugin is not recorded
  }
  return {
    type: info.type,
    config: redactValue(info.config),
    ...(registered ? { plugin: { name: registered.plugin, version: registered.pluginVersion } } : {}),
  };
}
