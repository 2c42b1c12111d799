import { createEvent, type EventEnvelope } from '@vigil/contracts';

/*
 * Builders for the behaviour-profile and token-reuse specs (seed 004-50, 000-20): logins and
 * refreshes as the gateway writes them (AUTH_LOGIN opens a refresh family whose id is the session
 * id; TOKEN_REFRESH carries it; both carry the request's IP and user agent).
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** A Monday, midnight UTC. */
export const MONDAY = Date.parse('2026-01-05T00:00:00.000Z');
export const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
export const CURL = 'curl/8.5.0';

/** Event time `day` days after MONDAY at hh:mm UTC. */
export const dayAt = (day: number, hh: number, mm = 0): number =>
  MONDAY + day * DAY_MS + hh * HOUR_MS + mm * 60_000;

export function loginFrom(
  t: number,
  userId: string,
  ip: string,
  opts: { session?: string; userAgent?: string } = {},
): EventEnvelope {
  return createEvent('AUTH_LOGIN', {
    producer: 'auth-gateway',
    occurredAt: new Date(t).toISOString(),
    actor: { userId, roles: ['user'] },
    subject: { userId },
    source: { ip, userAgent: opts.userAgent ?? BROWSER },
    outcome: 'success',
    attributes: opts.session ? { sessionId: opts.session, familyId: opts.session } : {},
  });
}

export function refreshFrom(
  t: number,
  userId: string,
  family: string,
  ip: string,
  userAgent: string = BROWSER,
  generation = 1,
): EventEnvelope {
  return createEvent('TOKEN_REFRESH', {
    producer: 'auth-gateway',
    occurredAt: new Date(t).toISOString(),
    actor: { userId, roles: ['user'] },
    subject: { userId },
    source: { ip, userAgent },
    outcome: 'success',
    attributes: { familyId: family, sessionId: family, generation },
  });
}

/** `n` weekday logins of one user at about `hh`:00 UTC (minutes vary), one a day from `fromDay`, from `ip`. */
export function weekdayHabit(userId: string, n: number, hh: number, ip: (i: number) => string, fromDay = 0) {
  const out: EventEnvelope[] = [];
  for (let d = fromDay; out.length < n; d++) {
    if (d % 7 >= 5) continue; // MONDAY + 5, + 6: the weekend
    out.push(loginFrom(dayAt(d, hh, (out.length * 7) % 50), userId, ip(out.length)));
  }
  return out;
}
