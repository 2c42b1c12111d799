import { createHash } from 'node:crypto';

/** `chain`: an audit hash chain (`<topic>:<partition>`), for the audit store's own integrity alerts. */
export const AlertKeyKind = {
  USER: 'user',
  IP: 'ip',
  USER_IP: 'user_ip',
  GLOBAL: 'global',
  CHAIN: 'chain',
} as const;
export type AlertKeyKind = (typeof AlertKeyKind)[keyof typeof AlertKeyKind];

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
