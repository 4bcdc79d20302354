// A small leveled logger writing to stderr, so command output on stdout stays machine-readable.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(scope: string): Logger;
}

export function createLogger(level: LogLevel = 'info', scope = 'bonsai'): Logger {
  const write = (at: LogLevel, msg: string) => {
    if (order[at] < order[level]) return;
    process.stderr.write(`${new Date().toISOString()} ${at.padEnd(5)} [${scope}] ${msg}\n`);
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
    child: (s) => createLogger(level, `${scope}:${s}`),
  };
}
