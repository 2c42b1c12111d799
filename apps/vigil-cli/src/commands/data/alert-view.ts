import {
  EventType,
  SEVERITIES,
  decodeEvent,
  isAtLeast,
  type EventEnvelope,
  type SecurityAlertAttributes,
  type Severity,
} from '@vigil/contracts';
import { UsageError } from '../../errors';
import type { AuditRow } from './audit-rows';

/*
 * What `vigil alerts` shows of security.alerts.v1: which transitions pass the filters, one readable
 * line each, and an alert's whole story for `alerts show` (seed 000-45's indicators of compromise).
 * Pure, so it is unit-tested.
 */

export type AlertEvent = EventEnvelope<SecurityAlertAttributes>;

export interface AlertFilter {
  severity?: Severity;
  rules: string[];
  /** ISO time: transitions at or after. */
  since?: string;
}

export function parseSeverity(value: string): Severity {
  if (!SEVERITIES.includes(value as Severity))
    throw new UsageError(`--severity ${value}: one of ${SEVERITIES.join(', ')}`);
  return value as Severity;
}

/** The record as an alert transition, or undefined (another event type, or undecodable). */
export function asAlert(value: Buffer | string | null): AlertEvent | undefined {
  const d = decodeEvent(value);
  if (!d.ok || d.event.type !== EventType.SECURITY_ALERT) return undefined;
  return d.event as unknown as AlertEvent;
}

export function isShown(e: AlertEvent, f: AlertFilter): boolean {
  const a = e.attributes;
  if (f.severity && !isAtLeast(a.severity, f.severity)) return false;
  if (f.rules.length && !f.rules.includes(a.ruleId)) return false;
  if (f.since !== undefined && e.occurredAt < f.since) return false;
  return true;
}

const time = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

/** One transition: when, how bad, what state, which rule and key, how much, then the summary and evidence. */
export function formatAlert(e: AlertEvent): string {
  const a = e.attributes;
  const head = [
    time(e.occurredAt),
    `${a.sev} ${a.severity.padEnd(8)}`,
    a.status.toUpperCase().padEnd(8),
    `${a.ruleId} v${a.ruleVersion}`,
    `${a.key.kind}=${a.key.value}`,
    `count=${a.count}`,
    a.mitre.length ? `[${a.mitre.join(',')}]` : '',
    `alert=${a.alertId}`,
  ].filter(Boolean);
  return `${head.join('  ')}\n    ${a.summary}${a.sampleEventIds.length ? `\n    evidence: ${a.sampleEventIds.join(' ')}` : ''}`;
}

/** An alert's current state, its transitions and its indicators (seed 000-45). */
export interface AlertStory {
  alertId: string;
  ruleId: string;
  ruleVersion: number;
  status: string;
  severity: Severity;
  sev: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
  summary: string;
  indicators: {
    key: { kind: string; value: string };
    ips: string[];
    users: string[];
    sampleEventIds: string[];
    mitre: string[];
  };
  transitions: Array<{ at: string; status: string; count: number; eventId: string }>;
}

/** The story of the alert whose id is `id` or starts with it (at least 8 characters), or undefined. */
export function alertStory(events: AlertEvent[], id: string): AlertStory | undefined {
  const mine = events
    .filter((e) => e.attributes.alertId === id || e.attributes.alertId.startsWith(id))
    .sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0));
  if (mine.length === 0) return undefined;
  const ids = new Set(mine.map((e) => e.attributes.alertId));
  if (ids.size > 1)
    throw new UsageError(`alert id ${id} is ambiguous: ${[...ids].join(', ')}; give more of it`);
  const last = mine[mine.length - 1].attributes;
  const { kind, value } = last.key;
  const sep = value.lastIndexOf('|');
  const ips = kind === 'ip' ? [value] : kind === 'user_ip' ? [value.slice(sep + 1)] : [];
  const users = kind === 'user' ? [value] : kind === 'user_ip' ? [value.slice(0, sep)] : [];
  return {
    alertId: last.alertId,
    ruleId: last.ruleId,
    ruleVersion: last.ruleVersion,
    status: last.status,
    severity: last.severity,
    sev: last.sev,
    firstSeen: mine[0].attributes.firstSeen,
    lastSeen: last.lastSeen,
    count: last.count,
    summary: last.summary,
    indicators: {
      key: { kind, value },
      ips,
      users,
      sampleEventIds: [...new Set(mine.flatMap((e) => e.attributes.sampleEventIds))],
      mitre: [...new Set(mine.flatMap((e) => e.attributes.mitre))],
    },
    transitions: mine.map((e) => ({
      at: e.occurredAt,
      status: e.attributes.status,
      count: e.attributes.count,
      eventId: e.id,
    })),
  };
}

export function formatStory(s: AlertStory): string {
  const i = s.indicators;
  return [
    `alert ${s.alertId}`,
    `  rule       ${s.ruleId} v${s.ruleVersion}`,
    `  status     ${s.status} (${s.sev}, ${s.severity})`,
    `  seen       ${time(s.firstSeen)} .. ${time(s.lastSeen)}, count ${s.count}`,
    `  summary    ${s.summary}`,
    `  key        ${i.key.kind}=${i.key.value}`,
    `  MITRE      ${i.mitre.join(', ') || '-'}`,
    `  evidence   ${i.sampleEventIds.join(' ') || '-'}`,
    '  transitions:',
    ...s.transitions.map(
      (t) => `    ${time(t.at)}  ${t.status.padEnd(8)} count=${t.count}  event ${t.eventId}`,
    ),
    i.ips.length ? `  next: vigil audit search --ip ${i.ips[0]} --since ${time(s.firstSeen)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** The closing line of a tail: transitions by severity, and alerts whose last transition is not resolved. */
export function tallyOf(shown: AlertEvent[]): string {
  const bySeverity = SEVERITIES.map(
    (s) => [s, shown.filter((e) => e.attributes.severity === s).length] as const,
  ).filter(([, n]) => n > 0);
  const last = new Map<string, string>();
  for (const e of shown) last.set(e.attributes.alertId, e.attributes.status);
  const open = [...last.values()].filter((s) => s !== 'resolved').length;
  return `${shown.length} alert transition(s) (${bySeverity.map(([s, n]) => `${n} ${s}`).join(', ') || 'none'}); ${open} alert(s) still firing`;
}

interface StoredAlertAttributes extends Omit<SecurityAlertAttributes, 'key'> {
  key: { kind: string; value?: string; valueIn?: string[] };
}

/**
 * An alert transition as the audit store keeps it (a SECURITY_ALERT row), back in the shape the bus
 * carries: the writer moved the key's IP and username into the row's columns (so they can be
 * redacted or erased) and left placeholders in the summary; they are put back. Undefined for a row
 * that is not an alert transition, or whose key was erased.
 */
export function alertFromRow(row: AuditRow): AlertEvent | undefined {
  if (row.action !== EventType.SECURITY_ALERT) return undefined;
  const stored = (row.details as { attributes?: StoredAlertAttributes } | null)?.attributes;
  if (!stored?.alertId || !stored.key) return undefined;
  const { kind } = stored.key;
  let value = stored.key.value;
  if (value === undefined) {
    if (kind === 'ip') value = row.ipAddress ?? undefined;
    else if (kind === 'user') value = row.username ?? undefined;
    else if (kind === 'user_ip' && row.username && row.ipAddress) value = `${row.username}|${row.ipAddress}`;
  }
  if (value === undefined) return undefined;
  const summary = (stored.summary ?? '')
    .split(`[${kind}]`)
    .join(value)
    .split('[username]')
    .join(row.username ?? '[username]')
    .split('[ip_address]')
    .join(row.ipAddress ?? '[ip_address]');
  return {
    id: row.eventId,
    type: EventType.SECURITY_ALERT,
    occurredAt: row.createdAt,
    producer: row.producer,
    outcome: row.outcome,
    attributes: { ...stored, key: { kind, value }, summary } as unknown as SecurityAlertAttributes,
  } as unknown as AlertEvent;
}
