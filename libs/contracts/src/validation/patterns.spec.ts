import { isUtcTimestamp } from './patterns';

/** The Date round trip isUtcTimestamp used to do: the oracle for its field-range check. */
function byDateRoundTrip(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/.exec(value);
  if (value.length > 30 || m === null) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return (
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    date.getUTCHours() === h &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === s
  );
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('isUtcTimestamp', () => {
  it('agrees with a Date round trip on every date of years around the edges', () => {
    const years = [...range(0, 120), 1899, 1900, 1970, 2000, 2023, 2024, 2025, 2100, 2400, 9999];
    const differ: string[] = [];
    for (const y of years)
      for (const mo of range(0, 13))
        for (const d of range(0, 32)) {
          const value = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T00:00:00Z`;
          if (isUtcTimestamp(value) !== byDateRoundTrip(value)) differ.push(value);
        }
    expect(differ).toEqual([]);
  });

  it('agrees with a Date round trip on every time of a day', () => {
    const differ: string[] = [];
    for (const h of range(0, 25))
      for (const mi of [...range(0, 61), 99])
        for (const s of [...range(0, 61), 99]) {
          const value = `2024-02-29T${pad(h)}:${pad(mi)}:${pad(s)}.5Z`;
          if (isUtcTimestamp(value) !== byDateRoundTrip(value)) differ.push(value);
        }
    expect(differ).toEqual([]);
  });

  it.each([
    ['2025-01-15T09:30:00Z', true],
    ['2025-01-15T09:30:00.123456789Z', true],
    ['2025-01-15T09:30:00.1234567890Z', false],
    ['2025-01-15T09:30:00+00:00', false],
    ['2025-01-15 09:30:00Z', false],
    ['2023-02-29T00:00:00Z', false],
    ['0099-12-31T23:59:59Z', false],
  ])('%s → %p', (value, expected) => {
    expect(isUtcTimestamp(value)).toBe(expected);
    expect(byDateRoundTrip(value)).toBe(expected);
  });

  it('refuses non-strings', () => {
    for (const value of [null, undefined, 0, new Date(), {}]) expect(isUtcTimestamp(value)).toBe(false);
  });
});
