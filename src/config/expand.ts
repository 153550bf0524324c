/**
 * `${VAR}` expansion in every string of a configuration tree.
 */
import type { ConfigIssue } from "./issues.ts";
import { joinPath } from "./tree.ts";

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The expanded tree, the problems found, and every value that came from the environment. */
export interface Expansion {
  readonly value: unknown;
  readonly errors: readonly ConfigIssue[];
  /** Expanded variable values: secrets to keep out of logs. */
  readonly secrets: readonly string[];
}

/** Reads an environment variable; undefined when unset. */
export type EnvLookup = (name: string) => string | undefined;

/** True when the whole string is a single `${VAR}` reference. */
export function isSingleReference(text: string): boolean {
  return /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(text);
}

/** Expands `${VAR}` in every string value of `tree`; undefined variables are errors naming the path. */
export function expandVariables(tree: unknown, env: EnvLookup, rootPath = ""): Expansion {
  const errors: ConfigIssue[] = [];
  const secrets = new Set<string>();
  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === "string") {
      return node.replace(reference, (whole, name: string) => {
        const value = env(name);
        if (value === undefined) {
          errors.push({
            path,
            message: `undefined environment variable referenced: ${name}\n    Required by: ${path}`,
            suggestion: `set ${name} in the environment (or in the --env file) before starting awmg`,
          });
          return whole;
        }
        if (value !== "") secrets.add(value);
        return value;
      });
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, joinPath(path, i)));
    if (typeof node === "object" && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, joinPath(path, k))]));
    }
    return node;
  };
  const value = walk(tree, rootPath);
  return { value, errors, secrets: [...secrets] };
}
