/*
 * An event's time in ms, on the detection hot path. Date.parse was an eighth of the engine's
 * time per event (bench/security-monitor.bench.ts, CPU profile). The envelope's occurredAt is
 * written by toISOString (`YYYY-MM-DDTHH:mm:ss.sssZ`): that form is read digit by digit here,
 * and anything else (another form, an out-of-range field, a date V8 rolls over such as Feb 30 or
 * 24:00) goes to Date.parse, so the result is always Date.parse's.
 */

const DAY_MS = 86_400_000;

/** Days from 1970-01-01 to a proleptic Gregorian date (years counted in 400-year eras from March). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400; // 0..399
  const mp = (m + 9) % 12; // March = 0
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1; // 0..365
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy; // 0..146096
  return era * 146_097 + doe - 719_468; // 719468: days from 0000-03-01 to 1970-01-01
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeap(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Digits of s[from, from + n) as a number, or -1 if any is not a digit. */
function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Date.parse(iso), faster for the toISOString form. */
export function eventTimeMs(iso: string): number {
  if (
    iso.length !== 24 ||
    iso.charCodeAt(4) !== 45 || // -
    iso.charCodeAt(7) !== 45 ||
    iso.charCodeAt(10) !== 84 || // T
    iso.charCodeAt(13) !== 58 || // :
    iso.charCodeAt(16) !== 58 ||
    iso.charCodeAt(19) !== 46 || // .
    iso.charCodeAt(23) !== 90 // Z
  )
    return Date.parse(iso);
  const y = digits(iso, 0, 4);
  const mo = digits(iso, 5, 2);
  const d = digits(iso, 8, 2);
  const h = digits(iso, 11, 2);
  const mi = digits(iso, 14, 2);
  const sec = digits(iso, 17, 2);
  const ms = digits(iso, 20, 3);
  if (
    y < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > daysInMonth(y, mo) ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    sec < 0 ||
    sec > 59 ||
    ms < 0
  )
    return Date.parse(iso);
  return daysFromCivil(y, mo, d) * DAY_MS + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms;
}
