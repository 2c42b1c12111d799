import { createHash } from 'node:crypto';
import type { EventEnvelope } from '../envelope/envelope';
import type { SecurityAlertAttributes } from '../events/security-alert/security-alert.attributes';
import type { Severity } from '../events/security-alert/severity';

/*
 * What the SOC formats (OCSF Detection Finding, Elastic Common Schema) share: the alert as it is on
 * security.alerts.v1, what is known of its rule, and the pieces both mappings read the same way
 * (ATT&CK names, the key as an entity, severity scales). Pure: the monitor's sinks and webhook,
 * `npm run monitor:alerts --format` and `vigil alerts tail --format` all call the same functions.
 */

export type AlertEventEnvelope = EventEnvelope<SecurityAlertAttributes>;

/** The formats an alert transition is delivered in: Vigil's own event, OCSF 1.1.0, ECS 8.11. */
export const ALERT_FORMATS = ['json', 'ocsf', 'ecs'] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

export const OCSF_VERSION = '1.1.0';
export const ECS_VERSION = '8.11.0';

/** What a mapping knows of the rule beyond the alert (from the rules file in force); all optional. */
export interface SocRuleInfo {
  description?: string;
  /** The event types the rule matches: they decide the ECS category. */
  types?: readonly string[];
  /** RUNBOOK-MAP rows the rule answers (tags). */
  seeds?: readonly string[];
}

export interface SocContext {
  /** The Vigil version that produced the alert (metadata.product.version, observer.version). */
  productVersion: string;
  /** Rule details by rule id; an unknown rule maps with its id only. */
  rule?: (ruleId: string) => SocRuleInfo | undefined;
  /** OCSF raw_data: the Vigil event as JSON. Off by default (the finding already carries it all). */
  includeRaw?: boolean;
}

/** The ATT&CK names of the ids Vigil's rules use; an id not listed is carried without a name. */
export const MITRE_NAMES: Readonly<Record<string, string>> = Object.freeze({
  TA0001: 'Initial Access',
  TA0003: 'Persistence',
  TA0004: 'Privilege Escalation',
  TA0005: 'Defense Evasion',
  TA0006: 'Credential Access',
  TA0007: 'Discovery',
  TA0008: 'Lateral Movement',
  TA0040: 'Impact',
  TA0043: 'Reconnaissance',
  T1070: 'Indicator Removal',
  T1078: 'Valid Accounts',
  T1098: 'Account Manipulation',
  T1110: 'Brute Force',
  'T1110.001': 'Password Guessing',
  'T1110.002': 'Password Cracking',
  'T1110.003': 'Password Spraying',
  'T1110.004': 'Credential Stuffing',
  T1499: 'Endpoint Denial of Service',
  T1550: 'Use Alternate Authentication Material',
  'T1550.001': 'Application Access Token',
  T1556: 'Modify Authentication Process',
  T1565: 'Data Manipulation',
  'T1565.001': 'Stored Data Manipulation',
  T1562: 'Impair Defenses',
});

export interface AttackIds {
  tactics: string[];
  techniques: string[];
  subtechniques: string[];
}

/** Splits a rule's ATT&CK ids into tactics (TA…), techniques (T…) and sub-techniques (T….…). */
export function attackIds(mitre: readonly string[]): AttackIds {
  const out: AttackIds = { tactics: [], techniques: [], subtechniques: [] };
  for (const id of mitre) {
    if (/^TA\d{4}$/.test(id)) out.tactics.push(id);
    else if (/^T\d{4}\.\d{3}$/.test(id)) {
      out.subtechniques.push(id);
      const parent = id.slice(0, 5);
      if (!mitre.includes(parent)) out.techniques.push(parent);
    } else if (/^T\d{4}$/.test(id)) out.techniques.push(id);
  }
  return out;
}

/** Severity as a number, most severe highest (OCSF severity_id and ECS event.severity share it). */
export const SEVERITY_NUMBER: Readonly<Record<Severity, 1 | 2 | 3 | 4 | 5>> = Object.freeze({
  info: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
});

/** ECS event.risk_score (0-100), on the scale Elastic's detection rules use for their severities. */
export const RISK_SCORE: Readonly<Record<Severity, number>> = Object.freeze({
  info: 10,
  low: 21,
  medium: 47,
  high: 73,
  critical: 99,
});

const FINGERPRINT_DISPLAY = /^fp:[0-9a-f]{12}$/;

/**
 * The key as an entity a SOC tool pivots on. A password-fingerprint key is only ever the monitor's
 * `fp:<12 hex>` digest; anything else in that slot is digested here, so a raw fingerprint can never
 * leave in a SOC record even if a producer got it wrong.
 */
export interface AlertEntity {
  kind: string;
  user?: string;
  ip?: string;
  /** For the other key kinds (session, route, fingerprint digest, chain): the value as published. */
  other?: string;
}

export function entityOf(a: SecurityAlertAttributes): AlertEntity {
  const kind = a.key.kind as string;
  const value = a.key.value;
  switch (kind) {
    case 'user':
      return { kind, user: value };
    case 'ip':
      return { kind, ip: value };
    case 'user_ip': {
      const cut = value.lastIndexOf('|');
      return cut < 0 ? { kind, user: value } : { kind, user: value.slice(0, cut), ip: value.slice(cut + 1) };
    }
    case 'global':
      return { kind };
    case 'password_fingerprint':
      return { kind, other: safeFingerprint(value) };
    default:
      return { kind, other: value };
  }
}

/** The displayable form of a fingerprint key: `fp:<12 hex>` as is, anything else digested to that form. */
export function safeFingerprint(value: string): string {
  return FINGERPRINT_DISPLAY.test(value)
    ? value
    : `fp:${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 12)}`;
}

/** The alert's summary with a password-fingerprint key (if any) replaced by its safe form. */
export function safeSummary(a: SecurityAlertAttributes): string {
  if ((a.key.kind as string) !== 'password_fingerprint') return a.summary;
  const safe = safeFingerprint(a.key.value);
  return safe === a.key.value ? a.summary : a.summary.split(a.key.value).join(safe);
}
