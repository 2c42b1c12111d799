import winston from 'winston';
import type { LoggerService } from '@nestjs/common';
import { redact, redactString } from './redact';
import { currentContext } from './request-context';

const redactFormat = winston.format((info) => {
  const ctx = currentContext();
  const out = redact(info) as winston.Logform.TransformableInfo;
  if (typeof info.message === 'string') out.message = redactString(info.message);
  if (ctx) {
    out.requestId ??= ctx.requestId;
    if (ctx.traceparent) out.traceparent ??= ctx.traceparent;
  }
  // winston keeps its level and splat under symbols; redact() copies own string keys only.
  for (const sym of Object.getOwnPropertySymbols(info)) {
    (out as unknown as Record<symbol, unknown>)[sym] = (info as unknown as Record<symbol, unknown>)[sym];
  }
  return out;
});

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Extra transports, e.g. a stream that tests read back to scan for secrets. */
  transports?: winston.transport[];
}

/** One JSON object a line on stdout, with service, level, timestamp and request/trace ids. */
export function createLogger(opts: LoggerOptions): winston.Logger {
  return winston.createLogger({
    level: opts.level ?? 'info',
    defaultMeta: { service: opts.service },
    format: winston.format.combine(winston.format.timestamp(), redactFormat(), winston.format.json()),
    transports: opts.transports ?? [new winston.transports.Console()],
  });
}

/** Adapts winston to Nest's LoggerService so Nest's own lines are JSON and redacted too. */
export class NestWinstonLogger implements LoggerService {
  constructor(private readonly logger: winston.Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  private write(level: string, message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const meta: Record<string, unknown> = context ? { context } : {};
    if (level === 'error' && typeof rest[0] === 'string') meta.stack = rest[0];
    if (message instanceof Error) {
      this.logger.log(level, message.message, { ...meta, err: message });
    } else if (typeof message === 'object' && message !== null) {
      this.logger.log(level, 'message' in message ? String(message.message) : '', { ...meta, ...message });
    } else {
      this.logger.log(level, String(message), meta);
    }
  }
}
