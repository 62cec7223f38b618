import { realpathSync } from 'node:fs';
import path from 'node:path';
import { type ForbiddenPaths, isInside } from './ForbiddenPaths.js';

/** Resolves every link of a path, as `realpath(3)`; throws when it cannot. */
export type RealPath = (source: string) => string;

/** Why a bind source is refused, named by the guard rail that refuses it. */
export interface BindRefusal {
  rule: 'bind-mount' | 'bind-mount-forbidden' | 'bind-mount-unresolved';
  message: string;
}

/**
 * Judges a bind source as the engine will mount it. The kernel follows every link in the
 * path when it binds, so the path is judged as written (`..` folded) and with its links
 * resolved; both must pass. A source whose links cannot be resolved here (it does not exist,
 * this user may not search a folder of it, or it loops) is refused: its target is unknown, and
 * the engine, running as root, may well resolve it to `/etc`. Returns `undefined` when the
 * source may be bound.
 */
export function judgeBindSource(
  source: string,
  allowList: readonly string[],
  forbidden: ForbiddenPaths,
  realpath: RealPath = realpathSync.native,
): BindRefusal | undefined {
  const lexical = path.resolve('/', source);
  const never = (form: string) => {
    const reason = forbidden.reasonFor(form);
    return reason === undefined ? undefined : ({ rule: 'bind-mount-forbidden', message: `bind mount of ${source} (${reason}) is never allowed` } as const);
  };
  const outside = (form: string) => !allowList.some((folder) => isInside(form, folder));
  const asWritten = never(lexical);
  if (asWritten) return asWritten;
  if (outside(lexical)) return { rule: 'bind-mount', message: `bind mount of ${source} is outside this node's allowed host paths` };
  let real: string;
  try {
    real = realpath(lexical);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an error';
    return { rule: 'bind-mount-unresolved', message: `bind mount of ${source} cannot be resolved on the host (${code}), so where it leads is unknown` };
  }
  const resolved = never(real);
  if (resolved) return resolved;
  if (outside(real)) return { rule: 'bind-mount', message: `bind mount of ${source} leads to ${real}, outside this node's allowed host paths` };
  return undefined;
}
