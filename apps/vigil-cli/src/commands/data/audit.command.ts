import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { action } from '../../command';
import { appScriptCommand } from './app-script';
import { repoRoot } from '../../config';
import type { CliContext } from '../../context';
import { CliError, ExitCode, UnavailableError, UsageError } from '../../errors';
import { table } from '../../output';
import {
  countRows,
  exportRows,
  parseActions,
  searchRows,
  type AuditFilter,
  type AuditRow,
} from './audit-rows';
import { parseRange, positiveInt } from './time-range';

interface FilterOptions {
  user?: string;
  action?: string;
  ip?: string;
  outcome?: string;
  actorRole?: string;
  since?: string;
  until?: string;
  restored?: boolean;
}

function filterOptions(cmd: Command, defaultSince: string): Command {
  return cmd
    .option('--user <uuid>', 'rows about this user id (subject, else actor)')
    .option(
      '--action <list>',
      'action name(s), comma-separated: FAILED_AUTH_LOGIN, DEPLOYMENT,SCHEMA_MIGRATION, AUDIT_LOG_READ; SECURITY_* matches a prefix',
    )
    .option('--ip <address>', 'rows from this client IP address')
    .addOption(
      new Option('--outcome <outcome>', 'only this outcome').choices([
        'success',
        'failure',
        'denied',
        'error',
      ]),
    )
    .option('--actor-role <role>', "rows whose actor held this role, e.g. admin (seed 001-18's admin review)")
    .option(
      '--since <when>',
      `from this time: an age (24h, 7d, 30d), a date or an ISO time [${defaultSince}]`,
    )
    .option('--until <when>', 'up to this time (exclusive) [now]')
    .option('--restored', 'search the archives the retention worker restored instead of the hot store');
}

export function toFilter(o: FilterOptions, defaultSince: string): { filter: AuditFilter; actions: string[] } {
  const { from, to } = parseRange(o.since, o.until, { defaultSince });
  if (o.user && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(o.user))
    throw new UsageError(`--user ${o.user}: a user id (UUID)`);
  return {
    filter: {
      user_id: o.user,
      ip: o.ip,
      outcome: o.outcome,
      actor_role: o.actorRole,
      from,
      to,
      source: o.restored ? 'restored' : undefined,
    },
    actions: parseActions(o.action),
  };
}

function rowLine(r: AuditRow): Record<string, unknown> {
  return {
    time: r.createdAt,
    action: r.action,
    outcome: r.outcome,
    user: r.userId ?? r.username ?? '-',
    ip: r.ipAddress,
    actor: r.actorUserId ? `${r.actorUserId.slice(0, 8)}… [${(r.actorRoles ?? []).join(',')}]` : r.producer,
    reason: r.reason,
    event: r.eventId,
  };
}

/** The audit verifier's entry (app-script.ts). */
export const verifierCommand = (root: string, env: Record<string, string | undefined>): { args: string[] } =>
  appScriptCommand(root, env, 'apps/audit-writer/src/verify/verify.cli');

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description(
      'Search, export and verify the audit store (audit-writer API; verify reads PostgreSQL and the witness)',
    );

  filterOptions(
    audit
      .command('search')
      .description(
        'Audit rows matching filters, newest first (seeds 000-52, 001-10, 001-18, 002-27). Every search is itself audited (AUDIT_LOG_READ).',
      ),
    '24h',
  )
    .option('--limit <n>', 'at most this many rows', positiveInt('--limit', 100_000), 50)
    .addHelpText(
      'after',
      `
Examples:
  vigil audit search --action AUDIT_LOG_READ --since 30d          # seed 000-52: who read the audit log
  vigil audit search --ip 203.0.113.9 --since 7d                  # seed 001-10: from an alert's evidence
  vigil audit search --action FAILED_AUTH_LOGIN --since 24h       # seed 001-11: failed logins today
  vigil audit search --actor-role admin --since 7d                # seed 001-18: admin activity
  vigil audit search --action DEPLOYMENT,SCHEMA_MIGRATION --since 24h --json   # seed 002-27`,
    )
    .action(
      action<[], FilterOptions & { limit: number }>(async (ctx, o) => {
        const { filter, actions } = toFilter(o, '24h');
        const rows = await searchRows(ctx.api('audit-writer'), filter, actions, o.limit);
        ctx.print(
          { from: filter.from, to: filter.to, count: rows.length, items: rows },
          (d) =>
            `${table(d.items.map(rowLine))}\n${d.count} row(s) from ${d.from} to ${d.to}${d.count === o.limit ? ` (limit ${o.limit} reached: narrow the filter or raise --limit)` : ''}`,
        );
      }),
    );

  filterOptions(
    audit
      .command('export')
      .description(
        'Export matching rows as JSON Lines or CSV, to a file or stdout, with a progress bar on stderr (audited as AUDIT_LOG_READ)',
      ),
    '24h',
  )
    .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--out <file>', 'write to this file (else stdout); the summary names its SHA-256')
    .option('--max <n>', 'at most this many rows', positiveInt('--max', 100_000_000), 1_000_000)
    .addHelpText(
      'after',
      `
Examples:
  vigil audit export --since 7d --out week.jsonl
  vigil audit export --action FAILED_AUTH_LOGIN --since 24h --format csv > failed.csv`,
    )
    .action(
      action<[], FilterOptions & { format: 'jsonl' | 'csv'; out?: string; max: number }>(async (ctx, o) => {
        const { filter, actions } = toFilter(o, '24h');
        if (actions.length > 1) throw new UsageError('export takes one --action (or a SECURITY_* prefix)');
        filter.action = actions[0];
        const result = await exportToFile(ctx, filter, o.format, o.max, o.out);
        if (o.out)
          ctx.print(
            { file: o.out, format: o.format, rows: result.rows, bytes: result.bytes, sha256: result.sha256 },
            (d) => `${d.rows} row(s) written to ${d.file} (${d.bytes} bytes, sha256 ${d.sha256})`,
          );
      }),
    );

  audit
    .command('failed-logins')
    .description(
      "Seed 001-11's daily review of failed authentication: failed logins by client IP and by account, and the security counts (lockouts, 429s, 403s, token reuse, alerts) since a time, from the audit API's security summary",
    )
    .option('--since <when>', 'from this time: an age (24h, 7d), a date or an ISO time', '24h')
    .option('--top <n>', 'how many IPs and accounts', positiveInt('--top', 20), 10)
    .action(
      action<[], { since: string; top: number }>(async (ctx, o) => {
        const { from } = parseRange(o.since, undefined);
        const r = await ctx.api('audit-writer').get<{
          since: string;
          topFailedIps: Array<{ ip: string | null; failures: number }>;
          topFailedSubjects: Array<{ subject: string | null; failures: number }>;
          counts: Array<{ action: string; count: number }>;
        }>('api/v1/audit/security', { query: { since: from, limit: 1 } });
        const report = {
          since: r.since,
          failedLogins: r.counts.find((c) => c.action === 'FAILED_AUTH_LOGIN')?.count ?? 0,
          topIps: r.topFailedIps.slice(0, o.top),
          topAccounts: r.topFailedSubjects.slice(0, o.top),
          counts: r.counts,
        };
        ctx.print(report, (d) =>
          [
            `${d.failedLogins} failed login(s) since ${d.since}`,
            '',
            'By client IP:',
            table(d.topIps),
            '',
            'By account:',
            table(d.topAccounts),
            '',
            'Security events:',
            table(d.counts),
          ].join('\n'),
        );
      }),
    );

  audit
    .command('verify')
    .description(
      "Verify every hash chain and signed checkpoint of the audit store against the outside witness (audit.checkpoints.v1): names modified, deleted, inserted and reordered rows with time ranges (seeds 002-35, 002-36). Runs the audit-writer's verifier; exit 0 verified, 1 tampering found, 3 it could not run",
    )
    .option('--chain <id...>', 'only these chains (<topic>:<partition>)')
    .option(
      '--witness <file>',
      'check against an exported copy of the witness (npm run audit:witness) instead of the topic',
    )
    .option('--no-witness', 'check the store against itself only (a whole erased chain is invisible then)')
    .addHelpText(
      'after',
      `
Reads VIGIL_DATABASE_URL [postgres://postgres@127.0.0.1:5432/vigil] (any role that may SELECT the
audit schema), VIGIL_AUDIT_SCHEMA [audit], AUDIT_KEY_DIR (the writer's public keys), AUDIT_TOPICS,
KAFKA_BROKERS and the KAFKA_* credentials for the witness.`,
    )
    .action(
      action<[], { chain?: string[]; witness?: string | boolean }>(async (ctx, o) => {
        const args: string[] = [];
        for (const c of o.chain ?? []) args.push('--chain', c);
        // The verifier runs from the repository root: paths are the operator's, from here.
        if (typeof o.witness === 'string') args.push('--witness', resolve(o.witness));
        else if (o.witness === false) args.push('--no-witness');
        if (ctx.json) args.push('--json');
        return runVerifier(ctx, args);
      }),
    );
}

/** Streams an export into `out` (or stdout) with a progress bar; the file's SHA-256 as written. */
export async function exportToFile(
  ctx: CliContext,
  filter: AuditFilter,
  format: 'jsonl' | 'csv',
  max: number,
  out: string | undefined,
  title = 'exporting audit rows',
): Promise<{ rows: number; bytes: number; sha256: string }> {
  const api = ctx.api('audit-writer');
  const total = await countRows(api, filter).catch(() => undefined);
  const bar = ctx.progress(title, total === undefined ? undefined : Math.min(total, max));
  const hash = createHash('sha256');
  let bytes = 0;
  const file = out ? createWriteStream(out, { mode: 0o600 }) : undefined;
  const failed = file ? new Promise<never>((_, reject) => file.once('error', reject)) : undefined;
  failed?.catch(() => undefined);
  let pending = '';
  try {
    const rows = await exportRows(api, filter, format, max, {
      write: async (chunk) => {
        hash.update(chunk);
        bytes += Buffer.byteLength(chunk);
        if (file) {
          if (!file.write(chunk))
            await Promise.race([new Promise<void>((r) => file.once('drain', () => r())), failed]);
        } else {
          pending += chunk;
          if (pending.length > 64 * 1024) {
            ctx.io.stdout(pending.replace(/\n$/, ''));
            pending = '';
          }
        }
      },
      onRows: (n) => bar.tick(n),
    });
    if (pending) ctx.io.stdout(pending.replace(/\n$/, ''));
    if (file) await Promise.race([new Promise<void>((r) => file.end(() => r())), failed]);
    bar.finish(`${title}: ${rows} row(s)`);
    return { rows, bytes, sha256: hash.digest('hex') };
  } catch (err) {
    file?.destroy();
    bar.finish(`${title}: stopped`);
    if ((err as NodeJS.ErrnoException).code && !(err instanceof CliError))
      throw new CliError(`${out}: ${(err as Error).message}`, ExitCode.failed);
    throw err;
  }
}

async function runVerifier(ctx: CliContext, args: string[]): Promise<number> {
  const root = repoRoot();
  if (!root) throw new CliError('the audit verifier is not installed beside this CLI', ExitCode.failed);
  const { args: node } = verifierCommand(root, ctx.io.env);
  // The verifier needs the database, the keys and the bus; never the admin's credentials.
  const env: Record<string, string | undefined> = {
    ...ctx.io.env,
    DATABASE_URL: ctx.config.databaseUrl,
    DB_SCHEMA: ctx.config.auditSchema,
  };
  for (const k of Object.keys(env)) if (k.startsWith('VIGIL_ADMIN_')) delete env[k];
  if (env.AUDIT_KEY_DIR) env.AUDIT_KEY_DIR = resolve(env.AUDIT_KEY_DIR);
  const child = spawn(process.execPath, [...node, ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const relay = (stream: NodeJS.ReadableStream, to: (text: string) => void, whole: boolean) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      buf += d;
      if (whole) return; // --json: one document, printed at the end
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) to(l);
    });
    return () => {
      if (buf) to(buf.replace(/\n$/, ''));
    };
  };
  const flushOut = relay(child.stdout!, (t) => ctx.io.stdout(t), ctx.json);
  const flushErr = relay(child.stderr!, (t) => ctx.io.stderr(t), false);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  flushOut();
  flushErr();
  if (code === 0) return ExitCode.ok;
  if (code === 1) return ExitCode.failed;
  throw new UnavailableError(`the audit verifier could not run (exit ${code}): see its message above`);
}
