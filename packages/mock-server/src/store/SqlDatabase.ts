/** A statement and its parameters, with `?` placeholders in both dialects. */
export interface Statement {
  sql: string;
  params?: readonly unknown[];
}

/**
 * The store's one door to its database: sqlite in one process, PostgreSQL for replicas
 * that share their state. Statements are written once, with `?` placeholders; each adapter
 * runs them its own way. Every call is asynchronous, so both databases fit behind it.
 */
export interface SqlDatabase {
  readonly dialect: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement that returns no rows; `changes` is how many rows it touched. */
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
  /** Runs the statements in one transaction: all or none. */
  batch(statements: readonly Statement[]): Promise<{ changes: number }[]>;
  close(): Promise<void>;
}

/** Whether `error` is the database refusing a duplicate in a UNIQUE column or index. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
