import type { Command } from 'commander';
import { readTopic } from '@vigil/kafka';
import { action } from '../../command';
import { CliError, ExitCode, UsageError } from '../../errors';
import {
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
    .addHelpText(
      'after',
      `
Examples:
  vigil alerts tail --since 24h                        # seed 001's daily review
  vigil alerts tail --severity high -f                 # page-worthy alerts as they fire
  vigil alerts tail --rule credential-stuffing-per-ip --json | jq .attributes.key`,
    )
    .action(
      action<[], { since: string; severity?: string; rule?: string[]; follow?: boolean; limit?: number }>(
        async (ctx, o) => {
          const filter: AlertFilter = {
            since: parseTime('--since', o.since),
            severity: o.severity ? parseSeverity(o.severity) : undefined,
            rules: o.rule ?? [],
          };
          const kafka = kafkaFor(ctx, 'vigil-cli-alerts');
          const shown: AlertEvent[] = [];
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
                ctx.io.stdout(ctx.json ? JSON.stringify(e) : formatAlert(e));
                if (o.limit && shown.length >= o.limit) stop.abort();
              },
              { follow: Boolean(o.follow), signal: stop.signal },
            );
          } catch (err) {
            busError(ctx, `reading ${ctx.config.alertsTopic}`, err);
          } finally {
            stop.dispose();
          }
          if (!ctx.json) ctx.io.stderr(tallyOf(shown));
        },
      ),
    );

  alerts
    .command('show <alertId>')
    .description(
      "One alert's story: its state, every transition, and its indicators of compromise (the key's IP or user, sample event ids, MITRE ATT&CK ids); --json exports them (seed 000-45)",
    )
    .option('--since <when>', 'look only at transitions from this time [all the topic holds]')
    .action(
      action<[string], { since?: string }>(async (ctx, o, id) => {
        if (!/^[0-9a-zA-Z_-]{8,128}$/.test(id))
          throw new UsageError(`alert id ${id}: at least its first 8 characters (as alerts tail prints it)`);
        const since = o.since ? parseTime('--since', o.since) : undefined;
        const kafka = kafkaFor(ctx, 'vigil-cli-alerts');
        const events: AlertEvent[] = [];
        try {
          await readTopic(kafka, ctx.config.alertsTopic, ({ message }) => {
            const e = asAlert(message.value);
            if (e && e.attributes.alertId.startsWith(id) && (!since || e.occurredAt >= since)) events.push(e);
          });
        } catch (err) {
          busError(ctx, `reading ${ctx.config.alertsTopic}`, err);
        }
        const story = alertStory(events, id);
        if (!story)
          throw new CliError(
            `no alert ${id} on ${ctx.config.alertsTopic}${since ? ` since ${since}` : ''}`,
            ExitCode.failed,
          );
        ctx.print(story, formatStory);
      }),
    );
}
