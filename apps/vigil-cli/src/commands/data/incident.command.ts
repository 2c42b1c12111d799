import type { Command } from 'commander';
import { action } from '../../command';
import { UsageError } from '../../errors';
import { exportRows, type AuditRow } from './audit-rows';
import { buildTimeline, formatTimeline, type EntryKind } from './timeline';
import { parseRange, positiveInt } from './time-range';

const KINDS: EntryKind[] = ['alert', 'change', 'event'];

export function registerIncident(program: Command): void {
  const incident = program
    .command('incident')
    .description('Incident response over the audit store (seed 000)');

  incident
    .command('timeline')
    .description(
      'Seed 000-38: one ordered timeline of the security alerts, the DEPLOYMENT and SCHEMA_MIGRATION changes and the audit events of a time range, with its start, the services involved and the blast radius (users, IPs, failures). Read from the audit store (one audited export)',
    )
    .requiredOption('--since <when>', 'from this time: an age (2h, 24h), a date or an ISO time (required)')
    .option('--until <when>', 'up to this time (exclusive) [now]')
    .option('--only <kinds>', `comma-separated: ${KINDS.join(', ')} [all]`)
    .option('--max <n>', 'at most this many rows read', positiveInt('--max', 1_000_000), 20_000)
    .addHelpText(
      'after',
      `
Examples:
  vigil incident timeline --since 2h
  vigil incident timeline --since 2026-12-02T09:00:00Z --until 2026-12-02T11:00:00Z --only alert,change --json`,
    )
    .action(
      action<[], { since: string; until?: string; only?: string; max: number }>(async (ctx, o) => {
        const { from, to } = parseRange(o.since, o.until, { required: true });
        const only = o.only ? o.only.split(',').map((k) => k.trim()) : KINDS;
        for (const k of only)
          if (!KINDS.includes(k as EntryKind))
            throw new UsageError(`--only ${k}: one of ${KINDS.join(', ')}`);
        const rows: AuditRow[] = [];
        let pending = '';
        const bar = ctx.progress('reading the audit store');
        await exportRows(ctx.api('audit-writer'), { from, to }, 'jsonl', o.max, {
          write: (chunk) => {
            pending += chunk;
            const lines = pending.split('\n');
            pending = lines.pop() ?? '';
            for (const l of lines) if (l) rows.push(JSON.parse(l) as AuditRow);
          },
          onRows: (n) => bar.tick(n),
        });
        bar.finish(`read ${rows.length} row(s)`);
        const timeline = buildTimeline(rows, from!, to);
        timeline.entries = timeline.entries.filter((e) => only.includes(e.kind));
        if (rows.length >= o.max)
          ctx.io.stderr(
            `note: --max ${o.max} rows reached; the timeline is cut (narrow the range or raise --max)`,
          );
        ctx.print(timeline, formatTimeline);
      }),
    );
}
