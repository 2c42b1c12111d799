import { UsageError } from '../../errors';

const AGE = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 } as const;

/**
 * A point in time from the command line: an age before now (`30m`, `24h`, `7d`, `2w`), a date
 * (`2026-12-01`, midnight UTC) or an ISO-8601 time. Returned as an ISO string (what the APIs take).
 */
export function parseTime(flag: string, value: string, now = Date.now()): string {
  const age = AGE.exec(value.trim());
  if (age) return new Date(now - Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS]).toISOString();
  const v = value.trim();
  const t = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t))
    throw new UsageError(
      `${flag} ${value}: an age (30m, 24h, 7d, 2w), a date (2026-12-01) or an ISO-8601 time`,
    );
  return new Date(t).toISOString();
}

/** `--since`/`--until` as a checked range; `until` defaults to now. */
export function parseRange(
  since: string | undefined,
  until: string | undefined,
  opts: { required?: boolean; defaultSince?: string; now?: number } = {},
): { from?: string; to: string } {
  const now = opts.now ?? Date.now();
  const s = since ?? opts.defaultSince;
  if (!s && opts.required)
    throw new UsageError('--since is required (an age like 24h, a date or an ISO time)');
  const from = s ? parseTime('--since', s, now) : undefined;
  const to = until ? parseTime('--until', until, now) : new Date(now).toISOString();
  if (from && from >= to) throw new UsageError(`--since (${from}) must be before --until (${to})`);
  return { from, to };
}

/** A positive integer option (commander gives strings). */
export function positiveInt(flag: string, max = 1_000_000): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max)
      throw new UsageError(`${flag} ${value}: a whole number from 1 to ${max}`);
    return Number(value);
  };
}
