import { alertFromRow } from './alert-view';
import type { AuditRow } from './audit-rows';

/*
 * Seed 000-38's incident timeline: security alerts, changes (deployments, schema migrations) and
 * the audit events around them, in one order, with the start, the services touched and the blast
 * radius. Pure, so it is unit-tested.
 */

export type EntryKind = 'alert' | 'change' | 'event';

export interface TimelineEntry {
  at: string;
  kind: EntryKind;
  action: string;
  outcome: string;
  producer: string;
  /** One line: the alert's rule and summary, the change's service and version, the event's who and where. */
  summary: string;
  userId: string | null;
  ip: string | null;
  eventId: string;
}

export interface Timeline {
  from: string;
  to: string;
  /** The first alert, else the first change, else the first event: where the incident visibly starts. */
  start: string | null;
  services: string[];
  blastRadius: { users: number; ips: number; failures: number; alerts: number; changes: number };
  counts: Record<EntryKind, number>;
  entries: TimelineEntry[];
}

const CHANGES = new Set(['DEPLOYMENT', 'SCHEMA_MIGRATION']);

export function kindOf(action: string): EntryKind {
  if (action.startsWith('SECURITY_')) return 'alert';
  return CHANGES.has(action) ? 'change' : 'event';
}

function attrs(row: AuditRow): Record<string, unknown> {
  const d = row.details as { attributes?: Record<string, unknown> } | null;
  return d?.attributes ?? {};
}

export function summarize(row: AuditRow): string {
  const a = attrs(row);
  const kind = kindOf(row.action);
  if (kind === 'alert' && a.ruleId) {
    // The writer keeps an alert's key in the row's columns (erasable) and a placeholder in its summary.
    const summary = alertFromRow(row)?.attributes.summary ?? a.summary ?? '';
    return `${String(a.status ?? '')} ${String(a.severity ?? '')} ${String(a.ruleId)}: ${String(summary)}`.trim();
  }
  if (row.action === 'DEPLOYMENT')
    return `deployed ${String(a.service ?? '?')} ${String(a.version ?? '')}${a.gitSha ? ` (${String(a.gitSha)})` : ''}`;
  if (row.action === 'SCHEMA_MIGRATION')
    return `migration ${String(a.migration ?? '?')} ${String(a.direction ?? '')} on ${String(a.service ?? '?')}`;
  const who = row.userId ?? row.username ?? row.actorUserId ?? '-';
  return `${row.outcome}${row.reason ? ` (${row.reason})` : ''} user=${who}${row.ipAddress ? ` ip=${row.ipAddress}` : ''}`;
}

/** Oldest first (ties by id); what the audit API returned newest first. */
export function buildTimeline(rows: AuditRow[], from: string, to: string): Timeline {
  const sorted = [...rows].sort((a, b) =>
    a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : Number(BigInt(a.id) - BigInt(b.id)),
  );
  const entries: TimelineEntry[] = sorted.map((r) => ({
    at: r.createdAt,
    kind: kindOf(r.action),
    action: r.action,
    outcome: r.outcome,
    producer: r.producer,
    summary: summarize(r),
    userId: r.userId,
    ip: r.ipAddress,
    eventId: r.eventId,
  }));
  const counts: Record<EntryKind, number> = { alert: 0, change: 0, event: 0 };
  for (const e of entries) counts[e.kind]++;
  const first = (k: EntryKind) => entries.find((e) => e.kind === k)?.at;
  const services = new Set<string>();
  for (const r of sorted) {
    services.add(r.producer);
    const svc = attrs(r).service;
    if (kindOf(r.action) === 'change' && typeof svc === 'string') services.add(svc);
  }
  return {
    from,
    to,
    start: first('alert') ?? first('change') ?? entries[0]?.at ?? null,
    services: [...services].sort(),
    blastRadius: {
      users: new Set(sorted.map((r) => r.userId ?? r.username).filter(Boolean)).size,
      ips: new Set(sorted.map((r) => r.ipAddress).filter(Boolean)).size,
      failures: sorted.filter((r) => r.outcome !== 'success').length,
      alerts: counts.alert,
      changes: counts.change,
    },
    counts,
    entries,
  };
}

const MARK: Record<EntryKind, string> = { alert: 'ALERT ', change: 'CHANGE', event: '      ' };

export function formatTimeline(t: Timeline): string {
  const r = t.blastRadius;
  return [
    `incident timeline ${t.from} .. ${t.to}`,
    `  start: ${t.start ?? '-'}   services: ${t.services.join(', ') || '-'}`,
    `  blast radius: ${r.users} user(s), ${r.ips} IP(s), ${r.failures} non-success event(s), ${r.alerts} alert transition(s), ${r.changes} change(s)`,
    '',
    ...t.entries.map((e) => `${e.at}  ${MARK[e.kind]}  ${e.action.padEnd(24)} ${e.summary}`),
  ].join('\n');
}
