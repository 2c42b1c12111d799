/** The log levels Vigil's services use (LOG_LEVEL), most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** The part of a winston logger the level lives on. */
export interface LevelHolder {
  level: string;
}

export interface LogLevelView {
  level: LogLevel;
  /** LOG_LEVEL at start: what a TTL reverts to. */
  configured: LogLevel;
  /** When a temporary level goes back to `configured` (ISO), or null. */
  revertsAt: string | null;
}

/**
 * A service's log level, changed at runtime without a restart (seeds 002-32 "increase auth logging",
 * 004-15): the logger's level is set in place; with a TTL it goes back to the configured level by
 * itself, so a forgotten `debug` does not flood the logs for ever. Per process: each instance
 * behind a balancer has its own.
 */
export class LogLevelState {
  readonly configured: LogLevel;
  private timer?: NodeJS.Timeout;
  private revertsAt: number | null = null;

  constructor(
    private readonly logger: LevelHolder,
    private readonly onRevert: (from: LogLevel, to: LogLevel) => void = () => undefined,
    private readonly clock: { now(): number } = Date,
  ) {
    this.configured = isLogLevel(logger.level) ? logger.level : 'info';
  }

  view(): LogLevelView {
    return {
      level: isLogLevel(this.logger.level) ? this.logger.level : this.configured,
      configured: this.configured,
      revertsAt: this.revertsAt === null ? null : new Date(this.revertsAt).toISOString(),
    };
  }

  /** Sets the level (for ttlSeconds, then back to the configured one); the level before. */
  set(level: LogLevel, ttlSeconds?: number): LogLevel {
    const before = this.view().level;
    this.clearTimer();
    this.logger.level = level;
    if (ttlSeconds !== undefined && level !== this.configured) {
      this.revertsAt = this.clock.now() + ttlSeconds * 1000;
      this.timer = setTimeout(() => this.revert(), ttlSeconds * 1000);
      this.timer.unref();
    }
    return before;
  }

  /** Back to the configured level now (the TTL ran out). */
  revert(): void {
    const from = this.view().level;
    this.clearTimer();
    this.logger.level = this.configured;
    if (from !== this.configured) this.onRevert(from, this.configured);
  }

  dispose(): void {
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.revertsAt = null;
  }
}
