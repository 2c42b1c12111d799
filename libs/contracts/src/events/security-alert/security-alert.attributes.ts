import { ArrayMaxSize, IsArray, IsNumber, Max, Min, isIP } from 'class-validator';
import {
  ConsistentWith,
  Int,
  NestedObject,
  OneOf,
  Optional,
  Str,
  StrArray,
  UtcTimestamp,
  UuidV7,
  compose,
} from '../../validation/decorators';
import { CODE, HEX_SHA256, MITRE_ID, PRINTABLE, isUtcTimestamp } from '../../validation/patterns';
import { ALERT_FINGERPRINT_KEY, AlertKeyKind } from './alert-dedup-key';
import { SEV_LEVELS, SEVERITIES, Sev, Severity, sevOf } from './severity';

export const AlertStatus = { FIRING: 'firing', UPDATED: 'updated', RESOLVED: 'resolved' } as const;
export type AlertStatus = (typeof AlertStatus)[keyof typeof AlertStatus];

/** Evidence is a sample, not the full set: SOC tools fetch the rest from the audit store. */
export const MAX_SAMPLE_EVENT_IDS = 10;

/** The key value of a system-wide rule. */
export const GLOBAL_KEY_VALUE = '*';

/**
 * What the rule counted by. `value` is the user id or normalised username, the IP, `<user>|<ip>`
 * for `user_ip`, `*` for `global`, the route for `route`, and `fp:<12 hex>` for `password_fingerprint`
 * (a digest of the fingerprint: the fingerprint itself never reaches an alert).
 */
export class AlertKey {
  @OneOf(Object.values(AlertKeyKind))
  kind!: AlertKeyKind;

  @Str(400, { pattern: PRINTABLE })
  @ConsistentWith<AlertKey>('keyValueMatchesKind', (k, v) =>
    k.kind === AlertKeyKind.IP
      ? isIP(v)
      : k.kind === AlertKeyKind.GLOBAL
        ? v === GLOBAL_KEY_VALUE
        : k.kind === AlertKeyKind.PASSWORD_FINGERPRINT
          ? typeof v === 'string' && ALERT_FINGERPRINT_KEY.test(v)
          : true,
  )
  value!: string;
}

/** SECURITY_ALERT: what SOC tools key on (DESIGN.md "Detection"). */
export class SecurityAlertAttributes {
  /** `alertDedupKey(ruleId, key.kind, key.value)`: stable across the firing → resolved lifecycle. */
  @Str(64, { pattern: HEX_SHA256 })
  alertId!: string;

  @Str(128, { pattern: CODE })
  ruleId!: string;

  @Int(1, 1_000_000)
  ruleVersion!: number;

  @OneOf(Object.values(AlertStatus))
  status!: AlertStatus;

  @OneOf(SEVERITIES)
  severity!: Severity;

  /** Always `sevOf(severity)`: carried so consumers need not know the mapping. */
  @OneOf(SEV_LEVELS)
  @ConsistentWith<SecurityAlertAttributes>('sevMatchesSeverity', (a, v) =>
    // An invalid severity is reported on `severity` itself, not twice.
    SEVERITIES.includes(a.severity) ? v === sevOf(a.severity) : true,
  )
  sev!: Sev;

  @UtcTimestamp()
  firstSeen!: string;

  @UtcTimestamp()
  @ConsistentWith<SecurityAlertAttributes>('lastSeenNotBeforeFirstSeen', (a, v) =>
    isUtcTimestamp(v) && isUtcTimestamp(a.firstSeen) ? Date.parse(v) >= Date.parse(a.firstSeen) : true,
  )
  lastSeen!: string;

  /** Matching events between firstSeen and lastSeen. */
  @Int(1)
  count!: number;

  @NestedObject(() => AlertKey)
  key!: AlertKey;

  @compose(IsArray(), ArrayMaxSize(MAX_SAMPLE_EVENT_IDS))
  @UuidV7(true)
  sampleEventIds!: string[];

  /** ATT&CK ids: TA0006, T1110, T1110.003 (spraying), T1110.004 (stuffing). */
  @StrArray(16, 16, MITRE_ID)
  mitre!: string[];

  /** One line for humans; names the key and the count, never event payloads. */
  @Str(500, { pattern: PRINTABLE })
  summary!: string;

  /** The rule's threshold and window at the time, so the alert explains itself. */
  @Optional()
  @compose(IsNumber({ allowNaN: false, allowInfinity: false }), Min(0), Max(1e12))
  threshold?: number;

  @Optional()
  @Int(1, 31 * 86_400)
  windowSeconds?: number;
}
