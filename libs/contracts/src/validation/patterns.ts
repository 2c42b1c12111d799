/**
 * Shapes shared by the envelope and the attribute classes. Deliberately narrow: a field that can
 * only hold an identifier cannot carry a pasted secret, a stack trace or a log-injection payload.
 */

/** User ids, session ids, refresh-family ids, request ids, chain ids. */
export const IDENTIFIER = /^[A-Za-z0-9._:@-]+$/;

/** Machine-readable codes (`reason`, rule ids, migration names). */
export const CODE = /^[A-Za-z0-9._:-]+$/;

/** Role names as stored in `users`/JWT claims. */
export const ROLE_NAME = /^[A-Za-z0-9._:-]+$/;

/** Service / component names: `auth-gateway`, `retention-worker`, `deploy-tool`. */
export const SERVICE_NAME = /^[a-z][a-z0-9._-]*$/;

/**
 * Free text without control characters (usernames, user agents, summaries): no log injection. An
 * unpaired UTF-16 surrogate is refused too: UTF-8 cannot carry it, so the audit store would hold
 * U+FFFD instead of what was sent (hostile corpus, issue 18 item 3).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const PRINTABLE = /^(?:[^\u0000-\u001f\u007f\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])+$/;

/**
 * A route template or path, never with a query string or fragment: query strings can carry
 * tokens (`?access_token=`), which must not reach events.
 */
export const ROUTE = /^\/[^?#\s]*$/;

export const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * A failed password's keyed fingerprint (FAILED_AUTH_LOGIN): `<epoch>.<value>`, the epoch being the
 * integer index of the gateway's key rotation period and the value 16 bytes of HMAC-SHA256 in
 * base64url without padding (22 characters). Nothing else fits, so the field cannot carry a
 * password or any other text.
 */
export const PASSWORD_FINGERPRINT = /^(0|[1-9][0-9]{0,14})\.[A-Za-z0-9_-]{22}$/;

/** Lower-case canonical form only, so the idempotency key has one spelling. */
export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** W3C Trace Context `traceparent`, version 00. */
export const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export const GIT_SHA = /^[0-9a-f]{7,40}$/;

export const VERSION_STRING = /^[0-9A-Za-z.+_-]+$/;

/** MITRE ATT&CK tactic (TA0006), technique (T1110) or sub-technique (T1110.003) ids. */
export const MITRE_ID = /^(TA\d{4}|T\d{4}(\.\d{3})?)$/;

/** Names that must never be a key anywhere in an event, even in free-form maps. */
export const SECRET_LIKE_NAME =
  /passw|passphrase|pwd|secret|token|credential|authoriz|cookie|api_?key|private_?key/i;

const UTC_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/;

/** ISO-8601 in UTC with a `Z` suffix, and a real calendar instant (no 2024-02-30). */
export function isUtcTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 30) return false;
  const m = UTC_TIMESTAMP.exec(value);
  if (m === null) return false;
  // Field ranges rather than a Date round trip: this runs on every event. Years below 100 stay
  // refused, as Date.UTC (which read them as 19xx) refused them; patterns.spec pins the two together.
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  return (
    year >= 100 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    Number(m[4]) <= 23 &&
    Number(m[5]) <= 59 &&
    Number(m[6]) <= 59
  );
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
