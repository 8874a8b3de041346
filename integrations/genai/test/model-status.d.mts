/** Status file of the model fetch for the package at `pkgDir`. */
export function modelStatusFile(pkgDir: string): string;
