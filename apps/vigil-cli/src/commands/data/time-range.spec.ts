import { UsageError } from '../../errors';
import { parseRange, parseTime, positiveInt } from './time-range';

const NOW = Date.parse('2026-12-02T12:00:00.000Z');

describe('parseTime', () => {
  it.each([
    ['30m', '2026-12-02T11:30:00.000Z'],
    ['24h', '2026-12-01T12:00:00.000Z'],
    ['7d', '2026-11-25T12:00:00.000Z'],
    ['2w', '2026-11-18T12:00:00.000Z'],
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T09:30:00+01:00', '2026-12-01T08:30:00.000Z'],
  ])('%s → %s', (v, iso) => expect(parseTime('--since', v, NOW)).toBe(iso));

  it.each(['yesterday', '5', '1y', '2026-13-45', ''])('refuses %p as a usage error', (v) =>
    expect(() => parseTime('--since', v, NOW)).toThrow(UsageError),
  );
});

describe('parseRange', () => {
  it('defaults until to now and since to the default', () =>
    expect(parseRange(undefined, undefined, { defaultSince: '1h', now: NOW })).toEqual({
      from: '2026-12-02T11:00:00.000Z',
      to: '2026-12-02T12:00:00.000Z',
    }));
  it('requires --since when asked, and since before until', () => {
    expect(() => parseRange(undefined, undefined, { required: true, now: NOW })).toThrow(
      /--since is required/,
    );
    expect(() => parseRange('1h', '2h', { now: NOW })).toThrow(/must be before/);
  });
});

describe('positiveInt', () => {
  it('takes whole numbers in range only', () => {
    expect(positiveInt('--limit', 10)('7')).toBe(7);
    for (const bad of ['0', '11', '-1', '2.5', 'x'])
      expect(() => positiveInt('--limit', 10)(bad)).toThrow(UsageError);
  });
});
