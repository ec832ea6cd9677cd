import { Logger, LoggerService } from '@nestjs/common';
import pino, { Logger as Pino } from 'pino';

/** BERTH_LOG_LEVEL's values, pino's levels. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * A service's logger: JSON lines on stdout (one object per line, `time` in ISO 8601, `level` as a word), each with
 * the service's name, so a collector can split and filter them without parsing text.
 */
export function jsonLogger(service: string, level: LogLevel, destination?: pino.DestinationStream): Pino {
  const options: pino.LoggerOptions = {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // A token never reaches a log, whoever logs a request.
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The fields of a line about a job, the ones operators filter by. Logged as `{ msg, ...aboutJob(...) }`. */
export function aboutJob(
  jobId: string,
  fields: { node?: string | null; namespace?: string } = {},
): { jobId: string; node?: string; namespace?: string } {
  return {
    jobId,
    ...(fields.node ? { node: fields.node } : {}),
    ...(fields.namespace ? { namespace: fields.namespace } : {}),
  };
}

type Level = 'info' | 'warn' | 'error' | 'debug' | 'trace' | 'fatal';

/**
 * Nest's Logger API (`new Logger('Placement').log(...)`) written as pino JSON: the context becomes a field, a message
 * that is an object (`{ msg, jobId, node, namespace }`) gives its fields, an Error its stack.
 */
export class JsonLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?).
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? { stack: rest[0] } : {};
    this.write('error', message, rest, stack);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[], extra: object = {}): void {
    const last = rest.at(-1);
    const context = typeof last === 'string' ? { context: last } : {};
    if (message instanceof Error) {
      this.pino[level]({ ...context, ...extra, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...context, ...extra, ...message });
    } else {
      this.pino[level]({ ...context, ...extra }, String(message));
    }
  }
}

/** Every `new Logger(...)` of this process writes JSON lines from here on. Returns the root logger. */
export function useJsonLogs(service: string, level: LogLevel): Pino {
  const root = jsonLogger(service, level);
  Logger.overrideLogger(new JsonLogger(root));
  return root;
}
