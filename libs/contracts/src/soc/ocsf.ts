import type { AlertStatus } from '../events/security-alert/security-alert.attributes';
import type { Severity } from '../events/security-alert/severity';
import {
  attackIds,
  entityOf,
  MITRE_NAMES,
  OCSF_VERSION,
  safeSummary,
  SEVERITY_NUMBER,
  type AlertEventEnvelope,
  type SocContext,
} from './soc-common';

/*
 * A Vigil alert transition as an OCSF 1.1.0 Detection Finding (class 2004, category 2 Findings).
 * firing -> activity Create / status New; updated -> Update / In Progress; resolved -> Close /
 * Resolved. finding_info.uid is the alertId (stable over the alert's life), metadata.uid the
 * SECURITY_ALERT event id (one per transition), metadata.correlation_uid the alertId again.
 * Fields follow the schema vendored in test/fixtures/ocsf/1.1.0 (README there: where each came from).
 */

export const OCSF_DETECTION_FINDING = { class_uid: 2004, category_uid: 2 } as const;

const ACTIVITY: Record<AlertStatus, { id: 1 | 2 | 3; name: string }> = {
  firing: { id: 1, name: 'Create' },
  updated: { id: 2, name: 'Update' },
  resolved: { id: 3, name: 'Close' },
};

const STATUS: Record<AlertStatus, { id: 1 | 2 | 4; name: string }> = {
  firing: { id: 1, name: 'New' },
  updated: { id: 2, name: 'In Progress' },
  resolved: { id: 4, name: 'Resolved' },
};

const SEVERITY_CAPTION: Record<Severity, string> = {
  info: 'Informational',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  critical: 'Critical',
};

/** OCSF observable type ids (dictionary.json `types`, 1.1.0). */
const OBSERVABLE = { IP_ADDRESS: 2, USER_NAME: 4, OTHER: 99 } as const;

export interface OcsfAttack {
  tactic?: { uid: string; name?: string };
  technique?: { uid: string; name?: string };
  sub_technique?: { uid: string; name?: string };
}

export interface OcsfObservable {
  name: string;
  type_id: number;
  type: string;
  value: string;
}

export interface OcsfDetectionFinding {
  class_uid: 2004;
  class_name: 'Detection Finding';
  category_uid: 2;
  category_name: 'Findings';
  activity_id: 1 | 2 | 3;
  activity_name: string;
  type_uid: number;
  type_name: string;
  severity_id: number;
  severity: string;
  status_id: number;
  status: string;
  time: number;
  start_time: number;
  end_time: number;
  count: number;
  message: string;
  metadata: {
    version: string;
    uid: string;
    correlation_uid: string;
    product: { name: string; vendor_name: string; version: string; feature: { name: string } };
    labels?: string[];
  };
  finding_info: {
    uid: string;
    title: string;
    desc: string;
    types: string[];
    first_seen_time: number;
    last_seen_time: number;
    created_time?: number;
    modified_time?: number;
    analytic: { uid: string; name: string; type_id: 1; type: 'Rule'; version: string; desc?: string };
    attacks?: OcsfAttack[];
    related_events?: Array<{ uid: string }>;
  };
  evidences?: Array<{ actor?: { user: { name: string } }; src_endpoint?: { ip: string } }>;
  observables?: OcsfObservable[];
  unmapped: {
    vigil: {
      key_kind: string;
      key_value: string;
      sev: string;
      threshold?: number;
      window_seconds?: number;
    };
  };
  raw_data?: string;
}

const named = (uid: string) => (MITRE_NAMES[uid] ? { uid, name: MITRE_NAMES[uid] } : { uid });

/** One attack entry per technique (or sub-technique), each with the rule's first tactic; tactics alone otherwise. */
export function ocsfAttacks(mitre: readonly string[]): OcsfAttack[] {
  const ids = attackIds(mitre);
  const tactic = ids.tactics[0] ? named(ids.tactics[0]) : undefined;
  const out: OcsfAttack[] = [];
  for (const t of ids.techniques) {
    const subs = ids.subtechniques.filter((s) => s.startsWith(`${t}.`));
    if (subs.length === 0) out.push({ ...(tactic ? { tactic } : {}), technique: named(t) });
    for (const s of subs)
      out.push({ ...(tactic ? { tactic } : {}), technique: named(t), sub_technique: named(s) });
  }
  if (out.length === 0) for (const t of ids.tactics) out.push({ tactic: named(t) });
  else for (const t of ids.tactics.slice(1)) out.push({ tactic: named(t) });
  return out;
}

export function toOcsfDetectionFinding(e: AlertEventEnvelope, ctx: SocContext): OcsfDetectionFinding {
  const a = e.attributes;
  const rule = ctx.rule?.(a.ruleId);
  const time = Date.parse(e.occurredAt);
  const activity = ACTIVITY[a.status];
  const status = STATUS[a.status];
  const entity = entityOf(a);
  const summary = safeSummary(a);
  const attacks = ocsfAttacks(a.mitre);
  const evidence: { actor?: { user: { name: string } }; src_endpoint?: { ip: string } } = {};
  const observables: OcsfObservable[] = [];
  if (entity.user !== undefined) {
    evidence.actor = { user: { name: entity.user } };
    observables.push({
      name: 'evidences[0].actor.user.name',
      type_id: OBSERVABLE.USER_NAME,
      type: 'User Name',
      value: entity.user,
    });
  }
  if (entity.ip !== undefined) {
    evidence.src_endpoint = { ip: entity.ip };
    observables.push({
      name: 'evidences[0].src_endpoint.ip',
      type_id: OBSERVABLE.IP_ADDRESS,
      type: 'IP Address',
      value: entity.ip,
    });
  }
  if (entity.other !== undefined)
    observables.push({
      name: 'unmapped.vigil.key_value',
      type_id: OBSERVABLE.OTHER,
      type: `vigil:${entity.kind}`,
      value: entity.other,
    });
  const keyValue = entity.other ?? a.key.value;
  const tactics = attackIds(a.mitre).tactics.map((t) => MITRE_NAMES[t] ?? t);
  return {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: OCSF_DETECTION_FINDING.class_uid * 100 + activity.id,
    type_name: `Detection Finding: ${activity.name}`,
    severity_id: SEVERITY_NUMBER[a.severity],
    severity: SEVERITY_CAPTION[a.severity],
    status_id: status.id,
    status: status.name,
    time,
    start_time: Date.parse(a.firstSeen),
    end_time: Date.parse(a.lastSeen),
    count: a.count,
    message: summary,
    metadata: {
      version: OCSF_VERSION,
      uid: e.id,
      correlation_uid: a.alertId,
      product: {
        name: 'Vigil',
        vendor_name: 'Vigil',
        version: ctx.productVersion,
        feature: { name: 'security-monitor' },
      },
      ...(rule?.seeds?.length ? { labels: rule.seeds.map((s) => `seed:${s}`) } : {}),
    },
    finding_info: {
      uid: a.alertId,
      title: rule?.description ?? a.ruleId,
      desc: summary,
      types: [...tactics, 'Vigil Detection'],
      first_seen_time: Date.parse(a.firstSeen),
      last_seen_time: Date.parse(a.lastSeen),
      ...(a.status === 'firing' ? { created_time: time } : { modified_time: time }),
      analytic: {
        uid: a.ruleId,
        name: a.ruleId,
        type_id: 1,
        type: 'Rule',
        version: String(a.ruleVersion),
        ...(rule?.description ? { desc: rule.description } : {}),
      },
      ...(attacks.length ? { attacks } : {}),
      ...(a.sampleEventIds.length ? { related_events: a.sampleEventIds.map((uid) => ({ uid })) } : {}),
    },
    ...(evidence.actor || evidence.src_endpoint ? { evidences: [evidence] } : {}),
    ...(observables.length ? { observables } : {}),
    unmapped: {
      vigil: {
        key_kind: entity.kind,
        key_value: keyValue,
        sev: a.sev,
        ...(a.threshold !== undefined ? { threshold: a.threshold } : {}),
        ...(a.windowSeconds !== undefined ? { window_seconds: a.windowSeconds } : {}),
      },
    },
    ...(ctx.includeRaw
      ? {
          raw_data: JSON.stringify({
            ...e,
            attributes: { ...a, summary, key: { kind: a.key.kind, value: keyValue } },
          }),
        }
      : {}),
  };
}
