/** Whether `error` is sqlite refusing a duplicate in a UNIQUE column or index. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
