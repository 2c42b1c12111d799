import { describeSchedule, nextRun, parseSchedule } from './schedule';

describe('schedule', () => {
  it('parses off, every and daily', () => {
    expect(parseSchedule('off')).toEqual({ kind: 'off' });
    expect(parseSchedule('every 15m')).toEqual({ kind: 'every', ms: 900_000 });
    expect(parseSchedule('Every 2h')).toEqual({ kind: 'every', ms: 7_200_000 });
    expect(parseSchedule('daily 03:30')).toEqual({ kind: 'daily', minuteOfDay: 210 });
  });

  it.each(['', 'daily 24:00', 'every 0s', 'every 5d', 'hourly', '0 3 * * *'])('refuses %p', (s) => {
    expect(() => parseSchedule(s)).toThrow(/schedule|frequent/);
  });

  it('finds the next daily run today or tomorrow (UTC)', () => {
    const d = parseSchedule('daily 03:00');
    expect(nextRun(d, new Date('2026-01-02T02:59:00Z'))!.toISOString()).toBe('2026-01-02T03:00:00.000Z');
    expect(nextRun(d, new Date('2026-01-02T03:00:00Z'))!.toISOString()).toBe('2026-01-03T03:00:00.000Z');
    expect(nextRun(parseSchedule('off'), new Date())).toBeUndefined();
    expect(describeSchedule(d)).toBe('daily 03:00 UTC');
  });
});
