import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { createEvent, sevOf, targetKindOf, type EventOf, type SecurityActionKind } from '@vigil/contracts';
import type { EngineAlert } from '../engine/detection-engine';

/*
 * Engine transitions -> contract events. Ids are derived from the transition itself (a UUIDv7 at
 * its event time, random bits from a hash), so a transition re-published after a crash carries
 * the same event id and the audit store's unique event_id makes it a no-op there too.
 */

const PRODUCER = 'security-monitor';
const IDENTIFIER = /^[A-Za-z0-9._:@-]{1,64}$/;

function stableId(alert: EngineAlert, salt: string): string {
  const random = createHash('sha256')
    .update(JSON.stringify([alert.alertId, alert.status, alert.at, alert.count, salt]))
    .digest()
    .subarray(0, 16);
  return uuidv7({ msecs: alert.at, random });
}

export interface PlannedAction {
  action: SecurityActionKind;
  target: string;
  ttlSeconds: number;
}

/** What the rule's response would do to this alert's key, or why it cannot. */
export function planAction(alert: EngineAlert): PlannedAction | { skipped: string } | undefined {
  const r = alert.response;
  if (!r || !r.enabled) return undefined;
  const [user, ip] =
    alert.key.kind === 'user_ip' ? alert.key.value.split('|') : [alert.key.value, alert.key.value];
  const target = targetKindOf(r.action) === 'ip' ? ip : user;
  if (!IDENTIFIER.test(target))
    return { skipped: `target ${alert.key.kind} is not an identifier the gateway can act on` };
  return { action: r.action, target, ttlSeconds: r.ttlSeconds };
}

/** What happens to a transition's response: `mode` as counted by monitor_actions_total, `note` for the alert's summary. */
export type ResponseOutcome =
  | { mode?: undefined; note?: undefined }
  | { mode: 'skipped'; action: SecurityActionKind; note: string }
  | { mode: 'dry_run' | 'published'; action: SecurityActionKind; plan: PlannedAction; note: string };

/**
 * The publisher's decision for a transition's response (only a firing alert acts): skipped when
 * the key is no target, dry-run per rule or for everything (`dryRunAll`: MONITOR_DRY_RUN), else published.
 */
export function responseOutcomeOf(alert: EngineAlert, dryRunAll: boolean): ResponseOutcome {
  const plan = alert.status === 'firing' ? planAction(alert) : undefined;
  if (!plan) return {};
  if ('skipped' in plan) {
    const action = alert.response!.action;
    return { mode: 'skipped', action, note: `[response ${action} skipped: ${plan.skipped}]` };
  }
  if (alert.response!.dryRun || dryRunAll)
    return {
      mode: 'dry_run',
      action: plan.action,
      plan,
      note: `[dry-run: would ${plan.action} ${plan.target} for ${plan.ttlSeconds}s]`,
    };
  return {
    mode: 'published',
    action: plan.action,
    plan,
    note: `[response: ${plan.action} ${plan.target} for ${plan.ttlSeconds}s]`,
  };
}

export function toAlertEvent(alert: EngineAlert, note?: string): EventOf<'SECURITY_ALERT'> {
  const summary = note ? `${alert.summary} ${note}` : alert.summary;
  return createEvent('SECURITY_ALERT', {
    id: stableId(alert, 'alert'),
    occurredAt: new Date(alert.at),
    producer: PRODUCER,
    outcome: 'success',
    reason: `alert_${alert.status}`,
    attributes: {
      alertId: alert.alertId,
      ruleId: alert.ruleId,
      ruleVersion: alert.ruleVersion,
      status: alert.status,
      severity: alert.severity,
      sev: sevOf(alert.severity),
      firstSeen: new Date(alert.firstSeen).toISOString(),
      lastSeen: new Date(alert.lastSeen).toISOString(),
      count: alert.count,
      key: { kind: alert.key.kind, value: alert.key.value },
      sampleEventIds: alert.sampleEventIds,
      mitre: alert.mitre,
      summary: summary.slice(0, 500),
      threshold: alert.threshold,
      windowSeconds: alert.windowSeconds,
    },
  });
}

export function toActionEvent(alert: EngineAlert, plan: PlannedAction): EventOf<'SECURITY_ACTION'> {
  return createEvent('SECURITY_ACTION', {
    id: stableId(alert, 'action'),
    occurredAt: new Date(alert.at),
    producer: PRODUCER,
    outcome: 'success',
    attributes: {
      action: plan.action,
      target: { kind: targetKindOf(plan.action), value: plan.target },
      ttlSeconds: plan.ttlSeconds,
      alertId: alert.alertId,
      ruleId: alert.ruleId,
      dryRun: false,
    },
  });
}
