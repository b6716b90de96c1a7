import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs; pretty when a person watches a terminal. Credentials are redacted at the logger so a
 * careless `log.info({ headers })` still cannot write one (S37).
 */
export function createLogger(
  level: string,
  pretty = process.stdout.isTTY === true && process.env.CI !== 'true',
): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'authorization',
        'headers.authorization',
        'req.headers.authorization',
        'req.headers.cookie',
        'password',
        '*.password',
        'token',
        '*.token',
        'key',
        '*.key',
        'secret',
        '*.secret',
      ],
      censor: '[redacted]',
    },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } }
      : {}),
  });
}

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
