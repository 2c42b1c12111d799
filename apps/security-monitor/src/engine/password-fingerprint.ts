import { hash } from 'node:crypto';
import { EventType, type EventEnvelope } from '@vigil/contracts';

const FAILED_LOGIN = EventType.FAILED_AUTH_LOGIN; // bound once (a barrel re-export is a getter)

/*
 * The failed-password fingerprint (FAILED_AUTH_LOGIN attributes.passwordFingerprint, made by the
 * gateways: `<epoch>.<22 base64url chars>`, an HMAC of the password under the rotation epoch's
 * key). The monitor never holds it as it came: a key of kind `password_fingerprint` is
 * `fp:<first 12 hex of sha256(fingerprint)>`, the form windows, saved state and alerts carry.
 */

const FINGERPRINT = /^\d{1,15}\.[A-Za-z0-9_-]{22}$/;

/** Recent fingerprints -> their keys (a spray repeats one; bounded, cleared when full). */
const memo = new Map<string, string>();
const MEMO_MAX = 4096;

/** The digest a fingerprint is known by in the monitor (see above). */
export function fingerprintKey(fingerprint: string): string {
  let k = memo.get(fingerprint);
  if (k === undefined) {
    // One-shot hash: no Hash object per fingerprint (most failed logins bring a new one).
    k = `fp:${hash('sha256', fingerprint, 'hex').slice(0, 12)}`;
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(fingerprint, k);
  }
  return k;
}

/** The fingerprint key of a failed login, or undefined when it carries none (or a malformed one). */
export function passwordFingerprintKeyOf(e: EventEnvelope): string | undefined {
  if (e.type !== FAILED_LOGIN) return undefined;
  const fp = (e.attributes as { passwordFingerprint?: unknown }).passwordFingerprint;
  return typeof fp === 'string' && FINGERPRINT.test(fp) ? fingerprintKey(fp) : undefined;
}
