import type { Severity } from '../events/security-alert/severity';
import {
  attackIds,
  ECS_VERSION,
  entityOf,
  MITRE_NAMES,
  RISK_SCORE,
  safeSummary,
  SEVERITY_NUMBER,
  type AlertEventEnvelope,
  type SocContext,
} from './soc-common';

/*
 * A Vigil alert transition as an Elastic Common Schema 8.11 document (event.kind "alert"). Every
 * field is an ECS field of the right type (test: checked against @elastic/ecs's definitions);
 * what ECS has no field for (the key kind, SEV level, alert id) goes in `labels`.
 */

export interface EcsAlertDocument {
  '@timestamp': string;
  ecs: { version: string };
  message: string;
  tags: string[];
  labels: Record<string, string>;
  event: {
    id: string;
    kind: 'alert';
    category: string[];
    type: string[];
    action: string;
    severity: number;
    risk_score: number;
    start: string;
    end: string;
    duration: number;
    created: string;
    dataset: string;
    module: string;
    provider: string;
    reason: string;
  };
  rule: {
    id: string;
    name: string;
    version: string;
    description?: string;
    category?: string;
    ruleset: string;
  };
  threat?: {
    framework: 'MITRE ATT&CK';
    tactic?: { id: string[]; name?: string[] };
    technique?: { id: string[]; name?: string[]; subtechnique?: { id: string[]; name?: string[] } };
  };
  user?: { name: string };
  source?: { ip: string };
  /** A route-keyed alert (e.g. 429s on one route from many IPs): the route. */
  url?: { path: string };
  related?: { user?: string[]; ip?: string[] };
  observer: { vendor: string; product: string; type: string; version: string };
  service: { name: string; type: string };
}

/** ECS event.category by the event types the rule matches (all of ECS's allow event.type "info"). */
const CATEGORY_OF_TYPE: Readonly<Record<string, string>> = Object.freeze({
  AUTH_LOGIN: 'authentication',
  FAILED_AUTH_LOGIN: 'authentication',
  AUTH_LOGOUT: 'authentication',
  TOKEN_REFRESH: 'authentication',
  TOKEN_REFRESH_REUSE: 'authentication',
  TOKEN_REVOKED: 'authentication',
  TOKEN_VALIDATION_FAILED: 'authentication',
  CLIENT_AUTH_FAILED: 'authentication',
  ROLE_CHANGED: 'iam',
  USER_CREATED: 'iam',
  USER_DEACTIVATED: 'iam',
  USER_REACTIVATED: 'iam',
  ACCOUNT_LOCKED: 'iam',
  ACCOUNT_UNLOCKED: 'iam',
  PASSWORD_RESET_REQUIRED: 'iam',
  PASSWORD_CHANGED: 'iam',
  ACCESS_DENIED: 'iam',
  RATE_LIMITED: 'web',
  SERVER_ERROR: 'web',
  JUNK_REQUESTS_AGGREGATED: 'web',
  SECURITY_ACTION_REJECTED: 'intrusion_detection',
});

export function ecsCategories(types: readonly string[] | undefined): string[] {
  const out = new Set<string>();
  for (const t of types ?? []) {
    const c = CATEGORY_OF_TYPE[t];
    if (c) out.add(c);
  }
  return out.size ? [...out].sort() : ['intrusion_detection'];
}

const names = (ids: string[]) =>
  ids.every((i) => MITRE_NAMES[i]) ? { name: ids.map((i) => MITRE_NAMES[i]) } : {};

export function toEcsAlert(e: AlertEventEnvelope, ctx: SocContext): EcsAlertDocument {
  const a = e.attributes;
  const rule = ctx.rule?.(a.ruleId);
  const entity = entityOf(a);
  const summary = safeSummary(a);
  const ids = attackIds(a.mitre);
  const start = Date.parse(a.firstSeen);
  const end = Date.parse(a.lastSeen);
  const severity: Severity = a.severity;
  const labels: Record<string, string> = {
    alert_id: a.alertId,
    alert_status: a.status,
    key_kind: entity.kind,
    sev: a.sev,
  };
  if (entity.other !== undefined) labels.key_value = entity.other;
  if (a.threshold !== undefined) labels.threshold = String(a.threshold);
  if (a.windowSeconds !== undefined) labels.window_seconds = String(a.windowSeconds);
  const threat: EcsAlertDocument['threat'] =
    a.mitre.length === 0
      ? undefined
      : {
          framework: 'MITRE ATT&CK',
          ...(ids.tactics.length ? { tactic: { id: ids.tactics, ...names(ids.tactics) } } : {}),
          ...(ids.techniques.length || ids.subtechniques.length
            ? {
                technique: {
                  id: ids.techniques.length
                    ? ids.techniques
                    : [...new Set(ids.subtechniques.map((s) => s.slice(0, 5)))],
                  ...names(ids.techniques),
                  ...(ids.subtechniques.length
                    ? { subtechnique: { id: ids.subtechniques, ...names(ids.subtechniques) } }
                    : {}),
                },
              }
            : {}),
        };
  return {
    '@timestamp': e.occurredAt,
    ecs: { version: ECS_VERSION },
    message: summary,
    tags: ['vigil', 'security-alert', ...(rule?.seeds ?? []).map((s) => `seed-${s}`)],
    labels,
    event: {
      id: e.id,
      kind: 'alert',
      category: ecsCategories(rule?.types),
      type: ['info'],
      action: `alert-${a.status}`,
      severity: SEVERITY_NUMBER[severity],
      risk_score: RISK_SCORE[severity],
      start: a.firstSeen,
      end: a.lastSeen,
      duration: (end - start) * 1_000_000,
      created: e.occurredAt,
      dataset: 'vigil.alerts',
      module: 'vigil',
      provider: 'security-monitor',
      reason: summary,
    },
    rule: {
      id: a.ruleId,
      name: a.ruleId,
      version: String(a.ruleVersion),
      ...(rule?.description ? { description: rule.description } : {}),
      ...(ids.tactics[0] && MITRE_NAMES[ids.tactics[0]] ? { category: MITRE_NAMES[ids.tactics[0]] } : {}),
      ruleset: 'vigil',
    },
    ...(threat ? { threat } : {}),
    ...(entity.user !== undefined ? { user: { name: entity.user } } : {}),
    ...(entity.ip !== undefined ? { source: { ip: entity.ip } } : {}),
    ...(entity.kind === 'route' && entity.other !== undefined ? { url: { path: entity.other } } : {}),
    ...(entity.user !== undefined || entity.ip !== undefined
      ? {
          related: {
            ...(entity.user !== undefined ? { user: [entity.user] } : {}),
            ...(entity.ip !== undefined ? { ip: [entity.ip] } : {}),
          },
        }
      : {}),
    observer: { vendor: 'Vigil', product: 'Vigil', type: 'ids', version: ctx.productVersion },
    service: { name: 'security-monitor', type: 'vigil' },
  };
}
