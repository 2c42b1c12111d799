import type { Queryable } from '@vigil/database';
import type { RetentionPolicy } from '../policy/policy';

export interface RetentionReport {
  generatedAt: string;
  policy: { hotDays: number; archiveDays: number; classes: Array<{ name: string; archiveDays: number }> };
  hot: {
    oldestRow: string | null;
    oldestRowAgeSeconds: number | null;
    partitions: number;
    oldestPartition: string | null;
    /** Seed 001-64's check: rows older than the hot window, explained below. */
    rowsOlderThanPolicy: number;
    explained: Array<{ partition: string; rows: number; why: string }>;
  };
  /** Hours in the window with no row at all (seed 001's "gaps in hourly counts"). */
  gaps: { fromHour: string; toHour: string; hours: string[] };
  archives: Array<{
    className: string;
    archives: number;
    rows: number;
    bytes: number;
    oldestDay: string | null;
    newestDay: string | null;
  }>;
  archiveProblems: { unverified: number; failed: number };
  archivesDeleted: number;
  detachedAwaitingDrop: Array<{ table: string; dropAfter: string }>;
  holds: Array<{
    holdId: string;
    userId: string | null;
    action: string | null;
    from: string | null;
    to: string | null;
    reason: string;
    createdAt: string;
  }>;
  lastRun: {
    runId: string;
    outcome: string | null;
    startedAt: string;
    finishedAt: string | null;
    dryRun: boolean;
  } | null;
  lastSuccessfulRun: string | null;
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v == null ? null : String(v));

/**
 * Seed 001-26's monthly compliance check, as data: the oldest row, every row past the hot window
 * with the reason it is still there, hourly gaps, the archive inventory, holds and the last runs.
 */
export async function retentionReport(
  db: Queryable,
  schemas: { audit: string; retention: string },
  policy: RetentionPolicy,
  gapHours = 24 * 7,
): Promise<RetentionReport> {
  const a = `"${schemas.audit}"`;
  const r = `"${schemas.retention}"`;
  const now = new Date();
  const [oldest] = (await db.query<{ t: Date | null }>(`SELECT min(created_at) AS t FROM ${a}.audit_logs`))
    .rows;
  const parts = (
    await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = 'audit_logs' ORDER BY c.relname`,
      [schemas.audit],
    )
  ).rows.map((x) => x.name);
  const old = (
    await db.query<{ day: string; n: string }>(
      `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYYMMDD') AS day, count(*) AS n FROM ${a}.audit_logs
        WHERE created_at < now() - make_interval(days => $1) GROUP BY 1 ORDER BY 1`,
      [policy.hotDays],
    )
  ).rows;
  const explained: RetentionReport['hot']['explained'] = [];
  for (const o of old) {
    const partition = `audit_logs_${o.day}`;
    const [held] = (
      await db
        .query<{ hold: string | null }>(`SELECT ${a}.retention_held($1, to_date($2, 'YYYYMMDD')) AS hold`, [
          partition,
          o.day,
        ])
        .catch(() => ({ rows: [{ hold: null }] }))
    ).rows;
    const dayEnd = Date.UTC(+o.day.slice(0, 4), +o.day.slice(4, 6) - 1, +o.day.slice(6, 8)) + 86_400_000;
    const why = held.hold
      ? `legal hold ${held.hold}`
      : dayEnd > now.getTime() - policy.hotDays * 86_400_000
        ? 'its partition also holds rows inside the hot window (whole days only); it goes on the first run after the day ends past the window'
        : 'due: the next retention run archives and drops it';
    explained.push({ partition, rows: Number(o.n), why });
  }
  const gapRows = (
    await db.query<{ h: Date }>(
      `SELECT h FROM generate_series(date_trunc('hour', now()) - make_interval(hours => $1), date_trunc('hour', now()) - interval '1 hour', interval '1 hour') h
        WHERE NOT EXISTS (SELECT 1 FROM ${a}.audit_logs WHERE created_at >= h AND created_at < h + interval '1 hour') ORDER BY h`,
      [gapHours],
    )
  ).rows;
  const archives = (
    await db.query<{
      class: string;
      n: string;
      rows: string;
      bytes: string;
      lo: Date | null;
      hi: Date | null;
    }>(
      `SELECT class, count(*) AS n, sum(rows) AS rows, sum(bytes) AS bytes, min(day)::text AS lo, max(day)::text AS hi FROM ${a}.archive_manifests
        WHERE verified_at IS NOT NULL AND failed_at IS NULL AND deleted_at IS NULL GROUP BY class ORDER BY class`,
    )
  ).rows;
  const [problems] = (
    await db.query<{ unverified: string; failed: string; deleted: string }>(
      `SELECT count(*) FILTER (WHERE verified_at IS NULL AND failed_at IS NULL) AS unverified, count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed,
              count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted FROM ${a}.archive_manifests`,
    )
  ).rows;
  const detached = (
    await db.query<{ table_name: string; drop_after: Date }>(
      `SELECT table_name, drop_after FROM ${a}.detached_partitions WHERE dropped_at IS NULL ORDER BY table_name`,
    )
  ).rows;
  const holds = (
    await db.query<Record<string, unknown>>(
      `SELECT * FROM ${a}.legal_holds WHERE released_at IS NULL ORDER BY created_at`,
    )
  ).rows;
  const [last] = (
    await db.query<Record<string, unknown>>(
      `SELECT * FROM ${r}.retention_runs WHERE NOT dry_run ORDER BY started_at DESC LIMIT 1`,
    )
  ).rows;
  const [ok] = (
    await db.query<{ t: Date | null }>(
      `SELECT max(finished_at) AS t FROM ${r}.retention_runs WHERE NOT dry_run AND outcome = 'success'`,
    )
  ).rows;
  return {
    generatedAt: now.toISOString(),
    policy: {
      hotDays: policy.hotDays,
      archiveDays: policy.archiveDays,
      classes: policy.classes.map((c) => ({ name: c.name, archiveDays: c.archiveDays })),
    },
    hot: {
      oldestRow: iso(oldest.t),
      oldestRowAgeSeconds: oldest.t
        ? Math.round((now.getTime() - new Date(oldest.t).getTime()) / 1000)
        : null,
      partitions: parts.length,
      oldestPartition: parts[0] ?? null,
      rowsOlderThanPolicy: old.reduce((s, o) => s + Number(o.n), 0),
      explained,
    },
    gaps: {
      fromHour: new Date(
        Math.floor(now.getTime() / 3_600_000) * 3_600_000 - gapHours * 3_600_000,
      ).toISOString(),
      toHour: new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000).toISOString(),
      hours: gapRows.map((g) => iso(g.h)!),
    },
    archives: archives.map((x) => ({
      className: x.class,
      archives: Number(x.n),
      rows: Number(x.rows),
      bytes: Number(x.bytes),
      oldestDay: iso(x.lo),
      newestDay: iso(x.hi),
    })),
    archiveProblems: { unverified: Number(problems.unverified), failed: Number(problems.failed) },
    archivesDeleted: Number(problems.deleted),
    detachedAwaitingDrop: detached.map((d) => ({ table: d.table_name, dropAfter: iso(d.drop_after)! })),
    holds: holds.map((h) => ({
      holdId: String(h.hold_id),
      userId: (h.user_id as string) ?? null,
      action: (h.action as string) ?? null,
      from: iso(h.from_ts),
      to: iso(h.to_ts),
      reason: String(h.reason),
      createdAt: iso(h.created_at)!,
    })),
    lastRun: last
      ? {
          runId: String(last.run_id),
          outcome: (last.outcome as string) ?? null,
          startedAt: iso(last.started_at)!,
          finishedAt: iso(last.finished_at),
          dryRun: Boolean(last.dry_run),
        }
      : null,
    lastSuccessfulRun: iso(ok.t),
  };
}

/** The report for a terminal. */
export function formatReport(rep: RetentionReport): string {
  const lines = [
    `Retention report ${rep.generatedAt}  (policy: ${rep.policy.hotDays} d hot, ${rep.policy.archiveDays} d archived${rep.policy.classes.map((c) => `, ${c.name} ${c.archiveDays} d`).join('')})`,
    `hot store: ${rep.hot.partitions} partition(s) from ${rep.hot.oldestPartition ?? '-'}; oldest row ${rep.hot.oldestRow ?? '-'}${rep.hot.oldestRowAgeSeconds !== null ? ` (${(rep.hot.oldestRowAgeSeconds / 86400).toFixed(1)} d)` : ''}`,
    `rows older than ${rep.policy.hotDays} d: ${rep.hot.rowsOlderThanPolicy}`,
    ...rep.hot.explained.map((e) => `  ${e.partition}: ${e.rows} row(s): ${e.why}`),
    `hours without any row (${rep.gaps.fromHour} .. ${rep.gaps.toHour}): ${rep.gaps.hours.length}${rep.gaps.hours.length ? ` (first ${rep.gaps.hours.slice(0, 5).join(', ')})` : ''}`,
    `archives:`,
    ...(rep.archives.length
      ? rep.archives.map(
          (x) =>
            `  ${x.className}: ${x.archives} archive(s), ${x.rows} rows, ${x.bytes} bytes, days ${x.oldestDay} .. ${x.newestDay}`,
        )
      : ['  none']),
    `  unverified ${rep.archiveProblems.unverified}, failed verification ${rep.archiveProblems.failed}, deleted past window ${rep.archivesDeleted}`,
    `detached awaiting drop: ${rep.detachedAwaitingDrop.length ? rep.detachedAwaitingDrop.map((d) => `${d.table} after ${d.dropAfter}`).join(', ') : 'none'}`,
    `legal holds: ${rep.holds.length ? '' : 'none'}`,
    ...rep.holds.map(
      (h) =>
        `  ${h.holdId}: ${[h.userId && `user ${h.userId}`, h.action && `action ${h.action}`, (h.from || h.to) && `${h.from ?? '…'} .. ${h.to ?? '…'}`].filter(Boolean).join(', ')} - ${h.reason}`,
    ),
    `last run: ${rep.lastRun ? `${rep.lastRun.runId} ${rep.lastRun.outcome ?? 'running'} at ${rep.lastRun.startedAt}` : 'never'}; last success: ${rep.lastSuccessfulRun ?? 'never'}`,
  ];
  return lines.join('\n');
}
