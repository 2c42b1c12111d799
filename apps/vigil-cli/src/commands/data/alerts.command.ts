import { Option, type Command } from 'commander';
import { ALERT_FORMATS, formatAlertAs, type AlertFormat, type SocContext } from '@vigil/contracts';
import { readTopic } from '@vigil/kafka';
import { action } from '../../command';
import type { CliContext } from '../../context';
import { CliError, ExitCode, UsageError } from '../../errors';
import { searchRows } from './audit-rows';
import {
  alertFromRow,
  alertStory,
  asAlert,
  formatAlert,
  formatStory,
  isShown,
  parseSeverity,
  tallyOf,
  type AlertEvent,
  type AlertFilter,
} from './alert-view';
import { busError, kafkaFor } from './bus';
import { registerAlertsReplay } from './replay.command';
import { parseTime, positiveInt } from './time-range';

/** Aborts on Ctrl-C / SIGTERM (a --follow ends cleanly), and undoes its listeners after. */
function stopSignal(): { signal: AbortSignal; abort(): void; dispose(): void } {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: ac.signal,
    abort: stop,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

type Source = 'bus' | 'audit';

const sourceOption = () =>
  new Option(
    '--source <source>',
    'bus: security.alerts.v1 over Kafka; audit: the SECURITY_ALERT rows of the audit store through the audit API (the one base URL, no Kafka access needed; each read is audited)',
  )
    .choices(['bus', 'audit'])
    .default('bus');

/** Alert transitions from the audit store, oldest first (each a row the writer ingested from the bus). */
async function alertsFromAudit(
  ctx: CliContext,
  since: string | undefined,
  max = 10_000,
): Promise<AlertEvent[]> {
  const rows = await searchRows(
    ctx.api('audit-writer'),
    { from: since ?? new Date(Date.now() - 90 * 86_400_000).toISOString(), to: new Date().toISOString() },
    ['SECURITY_ALERT'],
    max,
  );
  return rows
    .reverse()
    .map(alertFromRow)
    .filter((e): e is AlertEvent => e !== undefined);
}

/**
 * The SOC formats as the monitor's sinks write them. The CLI has no rules file: rules are named by
 * id (the monitor's own `npm run monitor:alerts -- --format` adds their descriptions).
 */
const cliSocContext = (env: Record<string, string | undefined>): SocContext => ({
  productVersion: env.VIGIL_VERSION ?? 'vigil-cli',
});

const formatOption = () =>
  new Option(
    '--format <format>',
    "one JSON line per transition: json (the SECURITY_ALERT as published, as --json), ocsf (OCSF 1.1.0 Detection Finding) or ecs (Elastic Common Schema 8.11), as the monitor's SOC sinks write them",
  ).choices([...ALERT_FORMATS]);

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('Security alerts as SOC tools see them, from security.alerts.v1 (Kafka)')
    .addHelpText(
      'after',
      `
Reads KAFKA_BROKERS [127.0.0.1:9092], the KAFKA_SASL_MECHANISM / KAFKA_USERNAME /
KAFKA_PASSWORD[_FILE] / KAFKA_TLS* credentials (locally vigil-admin), and VIGIL_ALERTS_TOPIC
[security.alerts.v1]. Commits nothing: a throwaway consumer group, deleted after.`,
    );

  alerts
    .command('tail')
    .description(
      'Alert transitions (firing, updated, resolved) since a time, one readable line each with the summary and evidence event ids, then a tally; --follow keeps tailing until Ctrl-C',
    )
    .option('--since <when>', 'from this time: an age (1h, 24h), a date or an ISO time', '1h')
    .option('--severity <level>', 'at least this severe (info, low, medium, high, critical)')
    .option('--rule <id...>', 'only these rule ids')
    .option('-f, --follow', 'keep tailing new transitions until Ctrl-C (or --limit)')
    .option('--limit <n>', 'stop after n transitions', positiveInt('--limit'))
    .addOption(formatOption())
    .addOption(sourceOption())
    .addHelpText(
      'after',
      `
Examples:
  vigil alerts tail --since 24h                        # seed 001's daily review
  vigil alerts tail --severity high -f                 # page-worthy alerts as they fire
  vigil alerts tail --rule credential-stuffing-per-ip --json | jq .attributes.key
  vigil alerts tail --since 7d --format ocsf > findings.ndjson  # a SIEM backfill (OCSF; or --format ecs)
  vigil alerts tail --since 24h --source audit         # through the base URL only (no --follow)`,
    )
    .action(
      action<
        [],
        {
          since: string;
          severity?: string;
          rule?: string[];
          follow?: boolean;
          limit?: number;
          format?: AlertFormat;
          source: Source;
        }
      >(async (ctx, o) => {
        // --format: JSON lines only (no tally), like --json.
        const lines = ctx.json || o.format !== undefined;
        const soc = cliSocContext(ctx.io.env);
        const line = (e: AlertEvent) =>
          o.format && o.format !== 'json'
            ? formatAlertAs(o.format, e, soc)
            : lines
              ? JSON.stringify(e)
              : formatAlert(e);
        const filter: AlertFilter = {
          since: parseTime('--since', o.since),
          severity: o.severity ? parseSeverity(o.severity) : undefined,
          rules: o.rule ?? [],
        };
        const shown: AlertEvent[] = [];
        if (o.source === 'audit') {
          if (o.follow) throw new UsageError('--follow reads the bus: use --source bus');
          for (const e of await alertsFromAudit(ctx, filter.since)) {
            if (!isShown(e, filter)) continue;
            shown.push(e);
            ctx.io.stdout(line(e));
            if (o.limit && shown.length >= o.limit) break;
          }
          if (!lines) ctx.io.stderr(tallyOf(shown));
          return;
        }
        const kafka = kafkaFor(ctx, 'vigil-cli-alerts');
        const stop = stopSignal();
        try {
          await readTopic(
            kafka,
            ctx.config.alertsTopic,
            ({ message }) => {
              if (stop.signal.aborted) return;
              const e = asAlert(message.value);
              if (!e || !isShown(e, filter)) return;
              shown.push(e);
              ctx.io.stdout(line(e));
              if (o.limit && shown.length >= o.limit) stop.abort();
            },
            { follow: Boolean(o.follow), signal: stop.signal },
          );
        } catch (err) {
          busError(ctx, `reading ${ctx.config.alertsTopic}`, err);
        } finally {
          stop.dispose();
        }
        if (!lines) ctx.io.stderr(tallyOf(shown));
      }),
    );

  alerts
    .command('show <alertId>')
    .description(
      "One alert's story: its state, every transition, and its indicators of compromise (the key's IP or user, sample event ids, MITRE ATT&CK ids); --json exports them (seed 000-45)",
    )
    .option(
      '--since <when>',
      'look only at transitions from this time [all the topic holds; 90d with --source audit]',
    )
    .addOption(sourceOption())
    .action(
      action<[string], { since?: string; source: Source }>(async (ctx, o, id) => {
        if (!/^[0-9a-zA-Z_-]{8,128}$/.test(id))
          throw new UsageError(`alert id ${id}: at least its first 8 characters (as alerts tail prints it)`);
        const since = o.since ? parseTime('--since', o.since) : undefined;
        const events: AlertEvent[] = [];
        if (o.source === 'audit')
          events.push(
            ...(await alertsFromAudit(ctx, since)).filter((e) => e.attributes.alertId.startsWith(id)),
          );
        else
          try {
            const kafka = kafkaFor(ctx, 'vigil-cli-alerts');
            await readTopic(kafka, ctx.config.alertsTopic, ({ message }) => {
              const e = asAlert(message.value);
              if (e && e.attributes.alertId.startsWith(id) && (!since || e.occurredAt >= since))
                events.push(e);
            });
          } catch (err) {
            busError(ctx, `reading ${ctx.config.alertsTopic}`, err);
          }
        const story = alertStory(events, id);
        if (!story)
          throw new CliError(
            `no alert ${id} ${o.source === 'audit' ? 'in the audit store' : `on ${ctx.config.alertsTopic}`}${since ? ` since ${since}` : ''}`,
            ExitCode.failed,
          );
        ctx.print(story, formatStory);
      }),
    );

  registerAlertsReplay(alerts);
}
