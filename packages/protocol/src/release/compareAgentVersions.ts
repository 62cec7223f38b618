/** A numeric identifier as semver 2.0 allows it: `0`, or digits without a leading zero. */
const CANONICAL_NUMBER = /^(0|[1-9]\d*)$/;
const ALPHANUMERIC = /^[0-9A-Za-z-]+$/;

interface ParsedVersion {
  core: [string, string, string];
  pre: string[] | null;
}

/**
 * An agent version in parts, or `null` when semver gives it no precedence: a core part that is
 * not a canonical non-negative integer (`01`, `+1`, empty), or a numeric pre-release part with a
 * leading zero (`rc.01`). Numbers are kept as their digits, so none is rounded past 2^53.
 */
function parse(version: string): ParsedVersion | null {
  const dash = version.indexOf('-');
  const core = (dash < 0 ? version : version.slice(0, dash)).split('.');
  if (core.length !== 3 || !core.every((part) => CANONICAL_NUMBER.test(part))) return null;
  if (dash < 0) return { core: core as ParsedVersion['core'], pre: null };
  const pre = version.slice(dash + 1).split('.');
  if (!pre.every((part) => ALPHANUMERIC.test(part) && (!/^\d+$/.test(part) || CANONICAL_NUMBER.test(part)))) return null;
  return { core: core as ParsedVersion['core'], pre };
}

/** Two canonical numbers by value, however long: the shorter is smaller, else by their digits. */
const compareDigits = (x: string, y: string) => (x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0);

/** Whether `version` has a place in semver 2.0's order (see `compareAgentVersions`). */
export const isOrderableAgentVersion = (version: string): boolean => parse(version) !== null;

/**
 * Orders two agent versions (`MAJOR.MINOR.PATCH[-pre.release]`) by semver 2.0's precedence:
 * numbers compare as numbers (of any length), a pre-release sorts before its release, and
 * pre-release parts compare numerically when both are digits, else as text, a shorter list
 * first on a tie. Returns a negative number, zero or a positive number; `null` when either has
 * no precedence (see `isOrderableAgentVersion`): a caller must decide what that means, never
 * read it as "older" or "newer" by accident.
 */
export function compareAgentVersions(a: string, b: string): number | null {
  const [x, y] = [parse(a), parse(b)];
  if (!x || !y) return null;
  for (let i = 0; i < 3; i++) {
    const order = compareDigits(x.core[i]!, y.core[i]!);
    if (order !== 0) return order;
  }
  if (x.pre === null || y.pre === null) return x.pre === y.pre ? 0 : x.pre === null ? 1 : -1;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const [p, q] = [x.pre[i]!, y.pre[i]!];
    if (p === q) continue;
    const [np, nq] = [/^\d+$/.test(p), /^\d+$/.test(q)];
    if (np && nq) return compareDigits(p, q);
    if (np !== nq) return np ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}
