import { UsageError } from '../../errors';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `15m`, `1h`, `2d` or plain seconds, within [1, max] seconds. */
export function parseDuration(flag: string, value: string, maxSeconds = 30 * 86400): number {
  const m = /^(\d{1,7})([smhd]?)$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag}: "${value}" is not a duration (e.g. 90s, 15m, 1h, 2d)`);
  const seconds = Number(m[1]) * UNITS[m[2] || 's'];
  if (seconds < 1 || seconds > maxSeconds)
    throw new UsageError(`${flag}: ${value} is out of range (1 s to ${formatSeconds(maxSeconds)})`);
  return seconds;
}

/** Seconds as the shortest exact unit (`3600` -> `1h`). */
export function formatSeconds(seconds: number): string {
  for (const [unit, n] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (seconds % n === 0 && seconds >= n) return `${seconds / n}${unit}`;
  return `${seconds}s`;
}

/** An age in seconds for people: `42s`, `7m`, `3h`, `12d`. */
export function formatAge(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A free-text reason as the gateway accepts it: 1-200 printable characters. */
export function checkReason(flag: string, value: string): string {
  const v = value.trim();
  // eslint-disable-next-line no-control-regex
  if (!v || v.length > 200 || /[\u0000-\u001f\u007f]/.test(v))
    throw new UsageError(`${flag}: 1 to 200 printable characters`);
  return v;
}

/** The services whose log level can be changed, by the names operators type. */
export const LOG_SERVICES = {
  'auth-gateway': { aliases: ['gateway'], path: 'api/v1/admin/log-level' },
  'audit-writer': { aliases: ['audit', 'writer'], path: 'api/v1/audit/admin/log-level' },
  'security-monitor': { aliases: ['monitor'], path: 'api/v1/monitor/admin/log-level' },
  'retention-worker': { aliases: ['retention'], path: 'api/v1/retention/admin/log-level' },
} as const;
export type LogService = keyof typeof LOG_SERVICES;

export function parseService(value: string): LogService {
  const v = value.trim().toLowerCase();
  for (const [name, s] of Object.entries(LOG_SERVICES))
    if (name === v || (s.aliases as readonly string[]).includes(v)) return name as LogService;
  throw new UsageError(
    `unknown service "${value}": one of ${Object.entries(LOG_SERVICES)
      .map(([n, s]) => `${n} (${s.aliases.join(', ')})`)
      .join(', ')}`,
  );
}
