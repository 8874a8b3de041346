declare const __LOLPOP_CORE_VERSION__: string | undefined;

/** Version of this copy of `@lolpop/core`. */
export const CORE_VERSION: string =
  typeof __LOLPOP_CORE_VERSION__ === "string" ? __LOLPOP_CORE_VERSION__ : "0.0.0-dev";

/** The plugin API version this core implements; plugins declare the one they target. */
export const PLUGIN_API_VERSION = 1;
