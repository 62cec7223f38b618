/** The log levels, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines also carry `fields`. */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Values that must never be written: every occurrence is replaced with `[redacted]`. */
  secrets?: string[];
  /** Where lines go. @default process.stderr */
  write?: (line: string) => void;
  /** Human-readable lines instead of JSON. @default whether stderr is a TTY */
  pretty?: boolean;
  now?: () => Date;
}

function errorFields(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return { name: value.name, message: value.message, ...(code !== undefined ? { code } : {}) };
}

/**
 * Structured logs: one JSON object a line (time, level, msg, fields), or a readable line
 * on a terminal. The redaction is the last step before writing, so a secret cannot leak
 * through an error message or a nested field whatever the call site passed.
 */
export function createLogger(options: LoggerOptions, bound: Record<string, unknown> = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const now = options.now ?? (() => new Date());
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  const threshold = RANK[options.level];

  const redact = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);

  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < threshold) return;
    const all: Record<string, unknown> = { ...bound, ...fields };
    for (const key of Object.keys(all)) all[key] = errorFields(all[key]);
    const time = now().toISOString();
    let line: string;
    if (pretty) {
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? `  ${extra}` : ''}`;
    } else {
      line = JSON.stringify({ time, level, msg, ...all });
    }
    write(redact(line));
  };

  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}
