/**
 * How a setting given in several places is chosen: the first source that gives it wins (flag > environment
 * variable > config file), and a later one that says otherwise is named in a warning.
 */

/** One place a setting can come from, and what it says there (undefined: it says nothing). */
export interface Candidate<T> {
  readonly label: string;
  readonly value: T | undefined;
}

/** Picks the first defined candidate; a later, defined, different one is named in a warning. */
export function pick<T>(
  candidates: Candidate<T>[],
  warnings: string[],
  show: (value: T) => string,
): T | undefined {
  const given = candidates.filter((c): c is Candidate<T> & { value: T } => c.value !== undefined);
  const [winner, ...losers] = given;
  for (const loser of losers) {
    if (JSON.stringify(loser.value) !== JSON.stringify(winner.value)) {
      warnings.push(
        `${winner.label} (${show(winner.value)}) overrides ${loser.label} (${show(loser.value)})`,
      );
    }
  }
  return winner?.value;
}

/** A boolean variable as the Go gateway reads one; undefined when unset or not a boolean word. */
export function envBoolean(value: string | undefined): boolean | undefined {
  const word = value?.trim().toLowerCase();
  if (word === "1" || word === "true" || word === "yes" || word === "on") return true;
  if (word === "0" || word === "false" || word === "no" || word === "off") return false;
  return undefined;
}
