/** Status file of the tfjs-node build for the package at `pkgDir`. */
export function buildStatusFile(pkgDir: string): string;
