import { implausibleTime } from './event-time';

const bounds = { hotDays: 90, allowedLatenessHours: 24, maxFutureSeconds: 300 };
const now = Date.parse('2026-12-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('implausibleTime: event times the writer refuses', () => {
  it('accepts now, a little skew ahead, and late events inside the hot window plus lateness', () => {
    expect(implausibleTime(iso(now), now, bounds)).toBeUndefined();
    expect(implausibleTime(iso(now + 299_000), now, bounds)).toBeUndefined();
    expect(implausibleTime(iso(now - 90 * 86_400_000 - 23 * 3_600_000), now, bounds)).toBeUndefined();
  });

  it('refuses more than 5 minutes in the future, saying by how much', () => {
    const r = implausibleTime(iso(now + 301_000), now, bounds);
    expect(r).toEqual({ reason: 'implausible_time', detail: expect.stringContaining('301 s in the future') });
  });

  it('refuses times older than the hot window plus the allowed lateness (no partition for the year 100)', () => {
    expect(implausibleTime(iso(now - 90 * 86_400_000 - 25 * 3_600_000), now, bounds)?.reason).toBe(
      'implausible_time',
    );
    expect(implausibleTime('0100-01-01T00:00:00.000Z', now, bounds)?.detail).toContain(
      'older than the hot window (90 days)',
    );
  });

  it('refuses what is not a time at all', () => {
    expect(implausibleTime('yesterday', now, bounds)?.reason).toBe('implausible_time');
  });
});
