import { ServerError } from '../errors.js';
import { isUniqueViolation } from './SqlDatabase.js';

/** Runs an INSERT (or UPDATE); a duplicate in a UNIQUE column becomes a `CONFLICT` saying `conflictMessage`. */
export async function insertUnique(insert: () => Promise<unknown>, conflictMessage: string): Promise<void> {
  try {
    await insert();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ServerError('CONFLICT', conflictMessage);
    throw error;
  }
}
