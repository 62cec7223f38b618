import { ServerError } from '../errors.js';

/** Whether `error` is sqlite refusing a duplicate in a UNIQUE column or index. */
function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Runs an INSERT; a duplicate in a UNIQUE column becomes a `CONFLICT` saying `conflictMessage`. */
export function insertUnique(insert: () => unknown, conflictMessage: string): void {
  try {
    insert();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ServerError('CONFLICT', conflictMessage);
    throw error;
  }
}
