import { createHash } from 'node:crypto';

/**
 * `chain`: an audit hash chain (`<topic>:<partition>`), for the audit store's own integrity alerts.
 * `route`: a request route (`/api/v1/auth/token`). `password_fingerprint`: one failed password
 * within one fingerprint rotation, named only by `fp:<first 12 hex of sha256(fingerprint)>`
 * (ALERT_FINGERPRINT_KEY), never by the fingerprint itself.
 */
export const AlertKeyKind = {
  USER: 'user',
  IP: 'ip',
  USER_IP: 'user_ip',
  GLOBAL: 'global',
  CHAIN: 'chain',
  ROUTE: 'route',
  PASSWORD_FINGERPRINT: 'password_fingerprint',
  /** A refresh-token family (its id; the security monitor's token-reuse rules). */
  SESSION: 'session',
} as const;
export type AlertKeyKind = (typeof AlertKeyKind)[keyof typeof AlertKeyKind];

/** The only form a password fingerprint takes in an alert's key: a digest of it, so the alert cannot be matched to the topic. */
export const ALERT_FINGERPRINT_KEY = /^fp:[0-9a-f]{12}$/;

/**
 * The alert's stable id and dedup key: hex SHA-256 of rule id + key. The same rule firing on the
 * same key again updates one alert rather than raising another, across restarts and instances.
 * The parts are JSON-encoded as an array so ('a:b','c') and ('a','b:c') cannot collide.
 */
export function alertDedupKey(ruleId: string, keyKind: AlertKeyKind, keyValue: string): string {
  return createHash('sha256')
    .update(JSON.stringify([ruleId, keyKind, keyValue]), 'utf8')
    .digest('hex');
}
