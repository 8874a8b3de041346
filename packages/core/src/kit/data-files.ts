/**
 * What data connectors that read text share, so a file reads the same through every connector.
 */

/**
 * Strings read as missing values by default (`na_values` of LocalDataConnector and
 * DuckDBDataConnector): empty, `NA`, `N/A`, `NaN`, `nan`, `null`, `NULL`, `None`, as pandas reads
 * them by default (a subset of its list).
 */
export const DEFAULT_NA_VALUES: readonly string[] = Object.freeze([
  "",
  "NA",
  "N/A",
  "NaN",
  "nan",
  "null",
  "NULL",
  "None",
]);
