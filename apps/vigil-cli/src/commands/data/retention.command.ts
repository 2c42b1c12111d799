import { Command } from 'commander';
import { ApiClient } from '../../api-client';
import { action } from '../../command';
import { serviceUrl } from '../../config';
import { UsageError } from '../../errors';
import { table } from '../../output';
import { parseTime, positiveInt } from './time-range';
import type { LegalHoldView } from '@vigil/contracts';

/** What POST /api/v1/retention/runs answers (the retention worker's RunReport), as far as the CLI reads it. */
interface RunReport {
  runId: string;
  dryRun: boolean;
  retentionDays: number;
  cutoff: string;
  partitions: Array<{ name: string; day: string; rows: number; bytes: number; heldBy: string | null }>;
  totals: { partitions: number; rows: number; bytes: number };
  archived: Array<{
    archiveId: string;
    partition: string;
    className: string;
    rows: number;
    bytes: number;
    sha256: string;
  }>;
  detached: string[];
  dropped: string[];
  held: string[];
  archivesDeleted: string[];
  failures: Array<{ partition?: string; step: string; error: string }>;
  outcome: 'success' | 'partial' | 'failure';
}

type LegalHold = LegalHoldView;

export function formatRun(r: RunReport): string {
  const lines = [
    `run ${r.runId}${r.dryRun ? ' (dry run: nothing changed)' : ''}: ${r.outcome}; hot window ${r.retentionDays} days, cutoff ${r.cutoff}`,
    `  past the window: ${r.totals.partitions} partition(s), ${r.totals.rows} row(s), ${r.totals.bytes} bytes`,
  ];
  if (r.archived.length)
    lines.push(
      `  archived: ${r.archived.map((a) => `${a.partition}/${a.className} ${a.rows} rows`).join(', ')}`,
    );
  if (r.detached.length) lines.push(`  detached: ${r.detached.join(', ')}`);
  if (r.dropped.length) lines.push(`  dropped: ${r.dropped.join(', ')}`);
  if (r.held.length) lines.push(`  kept by a legal hold: ${r.held.join(', ')}`);
  if (r.archivesDeleted.length) lines.push(`  archives deleted: ${r.archivesDeleted.join(', ')}`);
  for (const f of r.failures)
    lines.push(`  FAILED ${f.step}${f.partition ? ` ${f.partition}` : ''}: ${f.error}`);
  return lines.join('\n');
}

/** Hours (ISO, sorted) as runs of consecutive hours: `2026-11-25T14:00Z .. 2026-11-27T11:00Z (46h)`. */
export function hourRanges(hours: string[]): string {
  if (hours.length === 0) return 'none';
  const short = (iso: string) => iso.replace(/:00\.000Z$/, 'Z');
  const runs: Array<[string, string, number]> = [];
  for (const h of hours) {
    const last = runs[runs.length - 1];
    if (last && Date.parse(h) - Date.parse(last[1]) === 3_600_000) {
      last[1] = h;
      last[2]++;
    } else runs.push([h, h, 1]);
  }
  const text = runs.map(([a, b, n]) => (n === 1 ? short(a) : `${short(a)} .. ${short(b)} (${n}h)`));
  return `${hours.length} hour(s): ${text.slice(0, 10).join(', ')}${text.length > 10 ? `, and ${text.length - 10} more run(s)` : ''}`;
}

function holdRow(h: LegalHold): Record<string, unknown> {
  return {
    hold: h.holdId,
    user: h.userId,
    action: h.action,
    from: h.from,
    to: h.to,
    reason: h.reason,
    created: h.createdAt,
    released: h.releasedAt,
  };
}

export function registerRetention(program: Command): void {
  const retention = program
    .command('retention')
    .description(
      'Retention of the audit store: runs, the compliance report and legal holds (retention-worker API)',
    );

  retention
    .command('run')
    .description(
      'Run the retention policy now: archive, verify and detach partitions past the hot window, drop detached ones after the grace, delete expired archives; never what a legal hold names. Recorded as RETENTION_RUN. Exit 1 when a step failed',
    )
    .option('--dry-run', 'report what would move (partitions, rows, bytes) and change nothing')
    .option(
      '--days <n>',
      "a longer hot window for this run (never shorter than the policy's)",
      positiveInt('--days', 36_500),
    )
    .action(
      action<[], { dryRun?: boolean; days?: number }>(async (ctx, o) => {
        const started = Date.now();
        const bar = ctx.progress(o.dryRun ? 'planning a retention run' : 'retention run');
        // A run archives whole partitions: allow it minutes, not the default request timeout.
        const api = new ApiClient(
          serviceUrl(ctx.config, 'retention-worker'),
          Math.max(ctx.config.timeoutMs, 30 * 60_000),
        ).withToken(() => ctx.adminToken());
        let report: RunReport;
        try {
          report = await api.post<RunReport>('api/v1/retention/runs', {
            dry_run: Boolean(o.dryRun),
            retention_days: o.days,
          });
        } finally {
          bar.finish(`${o.dryRun ? 'planned' : 'ran'} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
        }
        ctx.print(report, formatRun);
        return report.outcome === 'success' ? 0 : 1;
      }),
    );

  retention
    .command('report')
    .description(
      "Seed 001-26's compliance report: the oldest hot row, rows past the window with why they are still there, hourly gaps, archives, holds and the last runs",
    )
    .option(
      '--gap-hours <n>',
      'look for hourly gaps over this many hours [168]',
      positiveInt('--gap-hours', 2160),
    )
    .action(
      action<[], { gapHours?: number }>(async (ctx, o) => {
        const r = await ctx
          .api('retention-worker')
          .get<Record<string, any>>('api/v1/retention/report', { query: { gap_hours: o.gapHours } }); // eslint-disable-line @typescript-eslint/no-explicit-any
        ctx.print(r, (d) =>
          [
            `retention report ${d.generatedAt}: hot ${d.policy.hotDays} days, archives ${d.policy.archiveDays} days`,
            `  hot store: ${d.hot.partitions} partition(s), oldest row ${d.hot.oldestRow ?? '-'}; ${d.hot.rowsOlderThanPolicy} row(s) older than the policy`,
            ...d.hot.explained.map(
              (e: { partition: string; rows: number; why: string }) =>
                `    ${e.partition}: ${e.rows} row(s): ${e.why}`,
            ),
            `  hours without rows (${d.gaps.fromHour} .. ${d.gaps.toHour}): ${hourRanges(d.gaps.hours)}`,
            `  archives: ${d.archives.map((a: { className: string; archives: number; rows: number }) => `${a.className} ${a.archives} (${a.rows} rows)`).join(', ') || 'none'}; unverified ${d.archiveProblems.unverified}, failed ${d.archiveProblems.failed}`,
            `  legal holds: ${d.holds.length}`,
            `  last run: ${d.lastRun ? `${d.lastRun.runId} ${d.lastRun.outcome ?? 'running'} at ${d.lastRun.startedAt}${d.lastRun.dryRun ? ' (dry run)' : ''}` : 'none'}; last success ${d.lastSuccessfulRun ?? 'never'}`,
          ].join('\n'),
        );
      }),
    );

  retention
    .command('policy')
    .description('The retention policy in force (hot window, archive classes, redaction, schedule)')
    .action(
      action(async (ctx) => {
        ctx.print(await ctx.api('retention-worker').get('api/v1/retention/policy'));
      }),
    );

  const hold = retention
    .command('hold')
    .description(
      'Legal holds: rows they name are never detached or dropped, archives never deleted (seed 000-40)',
    );

  hold
    .command('create')
    .description(
      'Place a legal hold on a user, an action and/or a time range, with a reason (LEGAL_HOLD_SET)',
    )
    .requiredOption('--reason <text>', 'why (a case or ticket reference); recorded with the hold (required)')
    .option('--user <uuid>', 'rows about this user id')
    .option('--action <name>', 'rows of this action')
    .option('--since <when>', 'rows from this time (an age, a date or an ISO time)')
    .option('--until <when>', 'rows before this time')
    .action(
      action<[], { reason: string; user?: string; action?: string; since?: string; until?: string }>(
        async (ctx, o) => {
          if (!o.user && !o.action && !o.since && !o.until)
            throw new UsageError('a hold names --user, --action, or a --since/--until range');
          const body = {
            reason: o.reason,
            user_id: o.user,
            action: o.action,
            from: o.since ? parseTime('--since', o.since) : undefined,
            to: o.until ? parseTime('--until', o.until) : undefined,
          };
          const h = await ctx.api('retention-worker').post<LegalHold>('api/v1/retention/holds', body);
          ctx.print(h, (x) => `legal hold ${x.holdId} placed\n${table([holdRow(x)])}`);
        },
      ),
    );

  hold
    .command('release <holdId>')
    .description(
      'Release a legal hold, with a reason (LEGAL_HOLD_RELEASED); what it kept is then aged out as usual',
    )
    .requiredOption('--reason <text>', 'why it is released; recorded (required)')
    .action(
      action<[string], { reason: string }>(async (ctx, o, id) => {
        const h = await ctx
          .api('retention-worker')
          .post<LegalHold>(`api/v1/retention/holds/${encodeURIComponent(id)}/release`, { reason: o.reason });
        ctx.print(h, (x) => `legal hold ${x.holdId} released at ${x.releasedAt}`);
      }),
    );

  hold
    .command('list')
    .description('The legal holds in force (--all: released ones too)')
    .option('--all', 'include released holds')
    .action(
      action<[], { all?: boolean }>(async (ctx, o) => {
        const r = await ctx.api('retention-worker').get<{ items: LegalHold[] }>('api/v1/retention/holds', {
          query: { all: o.all ? 'true' : undefined },
        });
        ctx.print(r, (d) => table(d.items.map(holdRow)));
      }),
    );
}
