/**
 * Orders two agent versions (`MAJOR.MINOR.PATCH[-pre.release]`) by semver 2.0's precedence:
 * numbers compare as numbers, a pre-release sorts before its release, and pre-release parts
 * compare numerically when both are digits, else as text, a shorter list first on a tie.
 * Returns a negative number, zero or a positive number. Both must have passed `AgentVersion`.
 */
export function compareAgentVersions(a: string, b: string): number {
  const [coreA, preA] = split(a);
  const [coreB, preB] = split(b);
  for (let i = 0; i < 3; i++) if (coreA[i] !== coreB[i]) return coreA[i]! - coreB[i]!;
  if (preA === null || preB === null) return preA === preB ? 0 : preA === null ? 1 : -1;
  for (let i = 0; i < Math.min(preA.length, preB.length); i++) {
    const [x, y] = [preA[i]!, preB[i]!];
    if (x === y) continue;
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return preA.length - preB.length;
}

function split(version: string): [number[], string[] | null] {
  const dash = version.indexOf('-');
  const core = (dash < 0 ? version : version.slice(0, dash)).split('.').map(Number);
  return [core, dash < 0 ? null : version.slice(dash + 1).split('.')];
}
