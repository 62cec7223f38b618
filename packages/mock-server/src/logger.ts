export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, string | number | boolean | null | undefined>;

/**
 * The server's one logger. Callers hand it messages and flat fields, never a request URL,
 * header or token: the agent's upgrade URL carries its token as a query parameter, so
 * nothing from a request is logged wholesale.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** Where each finished line goes. @default a write to stderr */
  write?: (line: string) => void;
}

function formatValue(value: string | number | boolean | null): string {
  return typeof value === 'string' && /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
}

/** A logger writing one `time LEVEL message key=value...` line per call. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = (level: LogLevel) => (message: string, fields: LogFields = {}) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const tail = Object.entries(fields)
      .filter((entry): entry is [string, string | number | boolean | null] => entry[1] !== undefined)
      .map(([key, value]) => ` ${key}=${formatValue(value)}`)
      .join('');
    write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${tail}`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** A logger that drops everything, for tests. */
export const silentLogger: Logger = createLogger({ write: () => {} });
