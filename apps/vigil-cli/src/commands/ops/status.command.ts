import { Command } from 'commander';
import { action } from '../../command';
import { SERVICES, type ServiceName } from '../../config';
import type { CliContext } from '../../context';
import { CliError, ExitCode, UsageError } from '../../errors';
import { table } from '../../output';
import { parseDuration } from './ops-args';
import { dlqDepths } from '../data/dlq.command';
import {
  ageLine,
  DEFAULT_THRESHOLDS,
  exitCodeOf,
  firingAlerts,
  healthLine,
  type ServiceHealth,
  type StatusLine,
  type StatusThresholds,
} from './status.report';

/** Each service's readiness behind the one base URL (no token). */
export const HEALTH_PATHS: Record<ServiceName, string> = {
  'auth-gateway': 'api/v1/health',
  'audit-writer': 'api/v1/audit/health/ready', // /api/v1/audit/health itself is seed 001-06's admin view
  'security-monitor': 'api/v1/monitor/health',
  'retention-worker': 'api/v1/retention/health',
};

const OVERRIDDEN: Record<ServiceName, 'gatewayUrl' | 'auditUrl' | 'monitorUrl' | 'retentionUrl'> = {
  'auth-gateway': 'gatewayUrl',
  'audit-writer': 'auditUrl',
  'security-monitor': 'monitorUrl',
  'retention-worker': 'retentionUrl',
};

/** A service's health: its alias under the API prefix; with a per-service URL, its own /health when the alias is missing. */
export async function serviceHealth(ctx: CliContext, service: ServiceName): Promise<ServiceHealth> {
  const api = ctx.anonymous(service);
  const paths = [HEALTH_PATHS[service], ...(ctx.config[OVERRIDDEN[service]] ? ['health'] : [])];
  let last: ServiceHealth = { service, url: api.url(paths[0]).href };
  for (const path of paths) {
    const url = api.url(path).href;
    try {
      const r = await api.request<Partial<ServiceHealth>>('GET', path, {
        anonymous: true,
        accept: [404, 503],
      });
      last = { service, url, httpStatus: r.status, ...(typeof r.body === 'object' ? pick(r.body) : {}) };
      if (r.status !== 404) return last;
    } catch (err) {
      return {
        service,
        url,
        error: err instanceof CliError ? err.message.replace(/^.*: unreachable/, 'unreachable') : String(err),
      };
    }
  }
  return last;
}

const pick = (b: Partial<ServiceHealth>) => ({ status: b.status, failing: b.failing, checks: b.checks });

/** An admin-only source: its lines, or one 'unknown' line saying why it could not be read. */
async function guarded(check: string, fn: () => Promise<StatusLine[]>): Promise<StatusLine[]> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UsageError) return [{ check, verdict: 'unknown', detail: `skipped: ${err.message}` }];
    if (err instanceof CliError)
      return [
        { check, verdict: err.exitCode === ExitCode.unavailable ? 'down' : 'unknown', detail: err.message },
      ];
    throw err;
  }
}

interface StoreHealth {
  lastCheckpointAgeSeconds: number | null;
  unpublishedCheckpoints: number;
  rowsLastHour: number;
}
interface RetentionReport {
  lastRun: { outcome: string | null; startedAt: string; finishedAt: string | null } | null;
  lastSuccessfulRun: string | null;
  archiveProblems: { unverified: number; failed: number };
}

const ageOf = (iso: string | null | undefined, now: number) => (iso ? (now - Date.parse(iso)) / 1000 : null);

export async function collectStatus(
  ctx: CliContext,
  t: StatusThresholds,
  now = Date.now(),
): Promise<{ health: ServiceHealth[]; lines: StatusLine[] }> {
  const health = await Promise.all(SERVICES.map((s) => serviceHealth(ctx, s)));
  const lines = health.map(healthLine);
  const maintenance = health[0].checks?.maintenance?.detail;
  if (maintenance)
    lines.push({
      check: 'maintenance mode',
      verdict: maintenance.startsWith('on') ? 'warn' : 'ok',
      detail: maintenance,
    });
  const up = (s: ServiceName) => health.find((h) => h.service === s)?.httpStatus !== undefined;
  const extras = await Promise.all([
    up('audit-writer')
      ? guarded('audit store', async () => {
          const s = await ctx.api('audit-writer').get<StoreHealth>('api/v1/audit/health');
          return [
            ageLine(
              'last checkpoint',
              s.lastCheckpointAgeSeconds,
              t.maxCheckpointAgeSeconds,
              'signed checkpoint',
            ),
            {
              check: 'audit ingest',
              verdict: s.unpublishedCheckpoints > 0 ? 'warn' : 'ok',
              detail: `${s.rowsLastHour} row(s) in the last hour; ${s.unpublishedCheckpoints} checkpoint(s) not yet published`,
            },
          ];
        })
      : [],
    up('audit-writer')
      ? guarded('alerts', async () => {
          const r = await ctx
            .api('audit-writer')
            .get<{ alerts: Array<{ action: string; details?: unknown }> }>('api/v1/audit/security', {
              query: { limit: 500 },
            });
          const firing = firingAlerts(r.alerts);
          return [
            {
              check: 'firing alerts (24h)',
              verdict: 'ok' as const,
              detail: firing.length
                ? `${firing.length} firing: ${firing
                    .slice(0, 5)
                    .map((a) => `${a.ruleId ?? '?'}${a.severity ? `/${a.severity}` : ''}`)
                    .join(', ')}${firing.length > 5 ? ', ...' : ''}`
                : 'none',
            },
          ];
        })
      : [],
    up('audit-writer')
      ? guarded('last backup', async () => {
          const r = await ctx
            .api('audit-writer')
            .get<{ items: Array<{ createdAt: string; outcome: string }> }>('api/v1/audit/logs', {
              query: { action: 'BACKUP_DONE', limit: 1 },
            });
          return [ageLine('last backup', ageOf(r.items[0]?.createdAt, now), t.maxBackupAgeSeconds, 'backup')];
        })
      : [],
    up('retention-worker')
      ? guarded('retention', async () => {
          const r = await ctx.api('retention-worker').get<RetentionReport>('api/v1/retention/report');
          const out: StatusLine[] = [
            ageLine(
              'last retention run',
              ageOf(r.lastSuccessfulRun, now),
              t.maxRetentionAgeSeconds,
              'successful retention run',
            ),
          ];
          if (r.lastRun && r.lastRun.outcome && r.lastRun.outcome !== 'success')
            out.push({
              check: 'latest retention run',
              verdict: 'warn',
              detail: `${r.lastRun.outcome} (started ${r.lastRun.startedAt})`,
            });
          const bad = r.archiveProblems.unverified + r.archiveProblems.failed;
          out.push({
            check: 'archives',
            verdict: bad ? 'warn' : 'ok',
            detail: bad
              ? `${r.archiveProblems.failed} failed, ${r.archiveProblems.unverified} unverified`
              : 'all verified',
          });
          return out;
        })
      : [],
  ]);
  lines.push(...extras.flat());
  // Seed 000-49's "alert queues": the dead-letter queues, read from Kafka (no service serves them).
  // A broker this CLI cannot reach (or has no credentials for) leaves the line unknown: the
  // services' own health already says whether they reach Kafka.
  lines.push(
    ...(await guarded('DLQ depth', async () => {
      const depths = await dlqDepths(ctx).catch((err: Error) => {
        throw new CliError(`${err.message} (set KAFKA_BROKERS and the KAFKA_* credentials)`, ExitCode.failed);
      });
      const held = depths.filter((d) => d.records > 0);
      const total = held.reduce((n, d) => n + d.records, 0);
      return [
        {
          check: 'DLQ depth',
          verdict: total ? 'warn' : 'ok',
          detail: total
            ? `${total} record(s): ${held.map((d) => `${d.topic} ${d.records}`).join(', ')} (vigil dlq list --nonempty)`
            : 'every DLQ empty',
        },
      ];
    })),
  );
  return { health, lines };
}

const MARK = { ok: 'ok', warn: 'WARN', down: 'DOWN', unknown: '?' } as const;

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      "Seed 000-49's daily check: each service's health, maintenance mode, firing alerts, the last signed checkpoint, backup and retention run",
    )
    .option('--max-checkpoint-age <duration>', 'warn when the newest signed checkpoint is older', '5m')
    .option('--max-retention-age <duration>', 'warn when the last successful retention run is older', '2d')
    .option('--max-backup-age <duration>', 'warn when the last backup is older', '2d')
    .addHelpText(
      'after',
      `
Health needs no credentials; the rest asks the audit and retention APIs as the admin (skipped,
not failed, without credentials). Exit 0 all ok, 1 a check warns, 3 a service is down or not ready.`,
    )
    .action(
      action<[], { maxCheckpointAge: string; maxRetentionAge: string; maxBackupAge: string }>(
        async (ctx, opts) => {
          const t: StatusThresholds = {
            ...DEFAULT_THRESHOLDS,
            maxCheckpointAgeSeconds: parseDuration(
              '--max-checkpoint-age',
              opts.maxCheckpointAge,
              365 * 86400,
            ),
            maxRetentionAgeSeconds: parseDuration('--max-retention-age', opts.maxRetentionAge, 365 * 86400),
            maxBackupAgeSeconds: parseDuration('--max-backup-age', opts.maxBackupAge, 365 * 86400),
          };
          const { health, lines } = await collectStatus(ctx, t);
          const exitCode = exitCodeOf(lines);
          ctx.print({ ok: exitCode === 0, exitCode, checks: lines, services: health }, (r) =>
            table(r.checks.map((l) => ({ check: l.check, state: MARK[l.verdict], detail: l.detail }))),
          );
          return exitCode;
        },
      ),
    );
}
