import { createHash } from 'node:crypto';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * A digest of a command's input without its `operationId`, independent of key order, so
 * the ledger can tell a true replay (same request, same id) from a different request
 * that reuses an id.
 */
export function requestFingerprint(input: { operationId?: string } & Record<string, unknown>): string {
  const { operationId: _, ...request } = input;
  return createHash('sha256').update(JSON.stringify(canonical(request))).digest('base64url');
}
