import {
  ALERT_FORMATS,
  EventType,
  isAlertFormat,
  type AlertFormat,
  SEVERITIES,
  isAtLeast,
  type EventEnvelope,
  type SecurityAlertAttributes,
  type Severity,
} from '@vigil/contracts';

/*
 * What `npm run monitor:alerts` shows (seed 001's daily review of security alerts): argument
 * parsing, filtering and one readable line per alert transition. Pure, so it is unit-tested.
 */

export interface AlertViewOptions {
  /** At least this severe. */
  severity?: Severity;
  rules: string[];
  /** Epoch ms: only alerts published at or after. */
  since?: number;
  follow: boolean;
  /** One JSON line per transition instead of the readable view (--json, or --format json|ocsf|ecs). */
  json: boolean;
  /** With json: the SECURITY_ALERT as published (json), an OCSF 1.1.0 Detection Finding or an ECS 8.11 alert. */
  format?: AlertFormat;
}

export class UsageError extends Error {}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since 1h | 30m | 7d | 2025-01-15T09:00:00Z`. */
export function parseSince(value: string, now: number): number {
  const d = DURATION.exec(value);
  if (d) return now - Number(d[1]) * UNIT_MS[d[2] as keyof typeof UNIT_MS];
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`--since ${value}: a duration (30m, 1h, 7d) or an ISO-8601 time`);
  return t;
}

export function parseArgs(argv: string[], now = Date.now()): AlertViewOptions {
  const o: AlertViewOptions = { rules: [], follow: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--severity') {
      const s = value();
      if (!SEVERITIES.includes(s as Severity))
        throw new UsageError(`--severity ${s}: one of ${SEVERITIES.join(', ')}`);
      o.severity = s as Severity;
    } else if (a === '--rule') o.rules.push(value());
    else if (a === '--since') o.since = parseSince(value(), now);
    else if (a === '--follow' || a === '-f') o.follow = true;
    else if (a === '--json') {
      o.json = true;
      o.format ??= 'json';
    } else if (a === '--format') {
      const f = value();
      if (!isAlertFormat(f)) throw new UsageError(`--format ${f}: one of ${ALERT_FORMATS.join(', ')}`);
      if (o.format && o.format !== f)
        throw new UsageError(`--format ${f} contradicts --json / --format ${o.format}`);
      o.json = true;
      o.format = f;
    } else
      throw new UsageError(
        `unknown argument ${a} (use --severity <level>, --rule <id>, --since <1h|ISO>, --follow, --json, --format json|ocsf|ecs)`,
      );
  }
  return o;
}

export function isShown(e: EventEnvelope, o: AlertViewOptions): e is EventEnvelope<SecurityAlertAttributes> {
  if (e.type !== EventType.SECURITY_ALERT) return false;
  const a = e.attributes as SecurityAlertAttributes;
  if (o.severity && !isAtLeast(a.severity, o.severity)) return false;
  if (o.rules.length && !o.rules.includes(a.ruleId)) return false;
  if (o.since !== undefined && Date.parse(e.occurredAt) < o.since) return false;
  return true;
}

const time = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

/** Two lines: what, where and how much; then the summary. */
export function formatAlert(e: EventEnvelope<SecurityAlertAttributes>): string {
  const a = e.attributes;
  const head = [
    time(e.occurredAt),
    `${a.sev} ${a.severity.padEnd(8)}`,
    a.status.toUpperCase().padEnd(8),
    `${a.ruleId} v${a.ruleVersion}`,
    `${a.key.kind}=${a.key.value}`,
    `count=${a.count}`,
    `${time(a.firstSeen)}..${time(a.lastSeen)}`,
    a.mitre.length ? `[${a.mitre.join(',')}]` : '',
    `alert=${a.alertId.slice(0, 12)}`,
  ].filter(Boolean);
  return `${head.join('  ')}\n    ${a.summary}${a.sampleEventIds.length ? `\n    evidence: ${a.sampleEventIds.join(' ')}` : ''}`;
}

/** The closing tally of a review: transitions by severity, and alerts still firing. */
export function tally(shown: Array<EventEnvelope<SecurityAlertAttributes>>): string {
  const bySeverity = SEVERITIES.map(
    (s) => [s, shown.filter((e) => e.attributes.severity === s).length] as const,
  ).filter(([, n]) => n > 0);
  const last = new Map<string, string>();
  for (const e of shown) last.set(e.attributes.alertId, e.attributes.status);
  const open = [...last.values()].filter((s) => s !== 'resolved').length;
  return `${shown.length} alert transitions (${bySeverity.map(([s, n]) => `${n} ${s}`).join(', ') || 'none'}); ${open} alert(s) still firing`;
}
