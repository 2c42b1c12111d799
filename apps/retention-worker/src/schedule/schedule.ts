/**
 * When a recurring job runs: `off`, `every <N>m` / `every <N>h`, or `daily <HH:MM>` (UTC).
 * Parsed at start, so a malformed value is a config error naming its variable.
 */
export type Schedule =
  { kind: 'off' } | { kind: 'every'; ms: number } | { kind: 'daily'; minuteOfDay: number };

export function parseSchedule(text: string): Schedule {
  const s = text.trim().toLowerCase();
  if (s === 'off') return { kind: 'off' };
  const every = /^every\s+(\d{1,5})\s*(s|m|h)$/.exec(s);
  if (every) {
    const n = Number(every[1]);
    const ms = n * { s: 1000, m: 60_000, h: 3_600_000 }[every[2] as 's' | 'm' | 'h'];
    if (ms < 1000) throw new Error(`"${text}" is too frequent (at least every 1s)`);
    return { kind: 'every', ms };
  }
  const daily = /^daily\s+([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  if (daily) return { kind: 'daily', minuteOfDay: Number(daily[1]) * 60 + Number(daily[2]) };
  throw new Error(`"${text}" is not a schedule: use off, "every 15m", "every 1h" or "daily 03:00" (UTC)`);
}

/** The next time at or after `from` + 1 ms that the schedule fires; undefined when off. */
export function nextRun(schedule: Schedule, from: Date): Date | undefined {
  switch (schedule.kind) {
    case 'off':
      return undefined;
    case 'every':
      return new Date(from.getTime() + schedule.ms);
    case 'daily': {
      const day = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
      const today = day + schedule.minuteOfDay * 60_000;
      return new Date(today > from.getTime() ? today : today + 86_400_000);
    }
  }
}

export function describeSchedule(schedule: Schedule): string {
  if (schedule.kind === 'off') return 'off';
  if (schedule.kind === 'every') return `every ${schedule.ms / 1000}s`;
  const h = String(Math.floor(schedule.minuteOfDay / 60)).padStart(2, '0');
  const m = String(schedule.minuteOfDay % 60).padStart(2, '0');
  return `daily ${h}:${m} UTC`;
}
