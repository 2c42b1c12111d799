/*
 * `vigil status` as data (seed 000-49's daily check): what each source said, turned into one
 * verdict per line and an exit code. Pure, so the rules are unit-tested without services.
 */

export type Verdict = 'ok' | 'warn' | 'down' | 'unknown';

export interface ServiceHealth {
  service: string;
  url: string;
  /** HTTP status of the health call, or undefined when unreachable. */
  httpStatus?: number;
  status?: string;
  failing?: string[];
  checks?: Record<string, { ok: boolean; degraded?: boolean; detail?: string }>;
  error?: string;
}

export interface StatusLine {
  check: string;
  verdict: Verdict;
  detail: string;
}

export interface StatusThresholds {
  maxCheckpointAgeSeconds: number;
  maxRetentionAgeSeconds: number;
  maxBackupAgeSeconds: number;
}

export const DEFAULT_THRESHOLDS: StatusThresholds = {
  maxCheckpointAgeSeconds: 300,
  maxRetentionAgeSeconds: 2 * 86400,
  maxBackupAgeSeconds: 2 * 86400,
};

export function healthLine(h: ServiceHealth): StatusLine {
  if (h.httpStatus === undefined)
    return {
      check: h.service,
      verdict: 'down',
      detail: `unreachable at ${h.url}${h.error ? `: ${h.error}` : ''}`,
    };
  if (h.httpStatus !== 200 && h.httpStatus !== 503)
    return { check: h.service, verdict: 'down', detail: `health answered ${h.httpStatus} at ${h.url}` };
  const failing = h.failing?.length ? ` (failing: ${h.failing.join(', ')})` : '';
  if (h.httpStatus === 503 || h.status === 'shutting_down')
    return { check: h.service, verdict: 'down', detail: `not ready: ${h.status ?? 'unknown'}${failing}` };
  if (h.status === 'degraded') return { check: h.service, verdict: 'warn', detail: `degraded${failing}` };
  return { check: h.service, verdict: 'ok', detail: h.status ?? 'ok' };
}

/** An age against its limit: ok, warn past it, unknown when there is nothing to measure. */
export function ageLine(
  check: string,
  ageSeconds: number | null | undefined,
  limit: number,
  what: string,
): StatusLine {
  if (ageSeconds === null || ageSeconds === undefined)
    return { check, verdict: 'unknown', detail: `no ${what} recorded` };
  const verdict: Verdict = ageSeconds > limit ? 'warn' : 'ok';
  return {
    check,
    verdict,
    detail: `last ${what} ${ageText(ageSeconds)} ago${verdict === 'warn' ? ` (limit ${ageText(limit)})` : ''}`,
  };
}

function ageText(s: number): string {
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

/** Alerts from the audit store's SECURITY_ALERT rows, newest first: those whose latest state is not resolved. */
export function firingAlerts(
  rows: Array<{ action: string; details?: unknown }>,
): Array<{ alertId: string; ruleId?: string; severity?: string }> {
  const latest = new Map<string, { status?: string; ruleId?: string; severity?: string }>();
  for (const r of rows) {
    if (r.action !== 'SECURITY_ALERT') continue;
    const a = (r.details as { attributes?: Record<string, unknown> } | undefined)?.attributes ?? {};
    const id = typeof a.alertId === 'string' ? a.alertId : undefined;
    if (!id || latest.has(id)) continue; // newest first: the first row seen is the latest state
    latest.set(id, {
      status: typeof a.status === 'string' ? a.status : undefined,
      ruleId: typeof a.ruleId === 'string' ? a.ruleId : undefined,
      severity: typeof a.severity === 'string' ? a.severity : undefined,
    });
  }
  return [...latest.entries()]
    .filter(([, v]) => v.status !== 'resolved')
    .map(([alertId, v]) => ({ alertId, ruleId: v.ruleId, severity: v.severity }));
}

/** 3 when a service is down, 1 when a check warns, else 0 (unknown is reported, not failed). */
export function exitCodeOf(lines: StatusLine[]): number {
  if (lines.some((l) => l.verdict === 'down')) return 3;
  if (lines.some((l) => l.verdict === 'warn')) return 1;
  return 0;
}
