/** A small structured logger; the engine never writes to stdout, which belongs to the CLI's output. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Writes `level msg {fields}` lines to a sink (stderr by default) at or above `level`. */
export function createLogger(options: { level?: LogLevel; sink?: (line: string) => void } = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const sink = options.sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    sink(fields && Object.keys(fields).length > 0 ? `${level} ${msg} ${JSON.stringify(fields)}` : `${level} ${msg}`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const nullLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
