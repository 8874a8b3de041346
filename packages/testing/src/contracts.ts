import { CONTRACT_METHODS } from "@lolpop/core";

export { CONTRACT_METHODS };

/**
 * The contract methods of `kind`, or undefined for a kind core does not define (a plugin's own kind:
 * pass its methods in the conformance options).
 */
export function contractMethods(kind: string): readonly string[] | undefined {
  return (CONTRACT_METHODS as Readonly<Record<string, readonly string[]>>)[kind];
}
