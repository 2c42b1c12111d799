/**
 * `npm run monitor:webhook-replay -- [--reason R]... [--since T] [--dry-run]`: resends the
 * escalations on the webhook DLQ (MONITOR_WEBHOOK_DLQ_TOPIC [security.alerts.webhook.dlq.v1]) to
 * MONITOR_WEBHOOK_URL, signed with MONITOR_WEBHOOK_SECRET[_FILE], in MONITOR_WEBHOOK_FORMAT, with the
 * monitor's retry policy (the same MONITOR_WEBHOOK_* variables). Reads the DLQ from its start to the
 * end offsets seen when it starts; R filters on `dlq-reason`, T (an ISO time or an age: 30m, 2h, 7d)
 * on `dlq-failed-at`. Each resend carries the alert's original event id (X-Vigil-Event-Id), so a
 * receiver that deduplicates on it makes a second run harmless. The DLQ is left as it is; an
 * escalation that fails again is dead-lettered again with its new reason.
 *
 * Prints one line per record and a tally. Exit 0 when every selected record was delivered, 1 when
 * some were not, 2 on a usage, configuration or connection error. Never prints the URL or the secret.
 */
import { env, loadConfig } from '@vigil/config';
import { decodeEvent, EventType, type AlertEventEnvelope } from '@vigil/contracts';
import { createKafka, EventProducer, headerString, readTopic } from '@vigil/kafka';
import winston from 'winston';
import { createLogger } from '@vigil/telemetry';
import { schema as monitorSchema } from '../config';
import { socContextFromFile } from './soc-context';
import { webhookDeadLetterRecord } from './webhook-dead-letter';
import { WebhookDispatcher, type DeadLetter } from './webhook-dispatcher';

class UsageError extends Error {}

const pick = <K extends keyof typeof monitorSchema>(...keys: K[]) =>
  Object.fromEntries(keys.map((k) => [k, monitorSchema[k]])) as Pick<typeof monitorSchema, K>;

const schema = {
  kafkaBrokers: env.hostPorts('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }),
  release: env.string('VIGIL_VERSION', { optional: true, pattern: /^[0-9A-Za-z.+_-]{1,64}$/ }),
  ...pick(
    'rulesFile',
    'alertsTopic',
    'webhookUrl',
    'webhookSecret',
    'webhookFormat',
    'webhookMaxAttempts',
    'webhookMaxElapsedSeconds',
    'webhookBackoffMs',
    'webhookBackoffMaxMs',
    'webhookTimeoutMs',
    'webhookDlqTopic',
  ),
};

interface Args {
  reasons: string[];
  since?: number;
  dryRun: boolean;
}

export function parseReplayArgs(argv: string[], now = Date.now()): Args {
  const a: Args = { reasons: [], dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--reason') a.reasons.push(value());
    else if (arg === '--since') {
      const v = value();
      const age = /^(\d+)(s|m|h|d)$/.exec(v);
      const t = age
        ? now - Number(age[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[age[2] as 's' | 'm' | 'h' | 'd']
        : Date.parse(v);
      if (Number.isNaN(t))
        throw new UsageError(`--since takes an ISO time or an age like 30m, 2h, 7d; got ${v}`);
      a.since = t;
    } else if (arg === '--dry-run') a.dryRun = true;
    else throw new UsageError(`unknown argument ${arg} (use --reason <r>, --since <T>, --dry-run)`);
  }
  return a;
}

async function main(): Promise<number> {
  const args = parseReplayArgs(process.argv.slice(2));
  const c = loadConfig(schema);
  if (!args.dryRun && (!c.webhookUrl || !c.webhookSecret))
    throw new UsageError('MONITOR_WEBHOOK_URL and MONITOR_WEBHOOK_SECRET[_FILE] are required (or --dry-run)');
  const kafka = createKafka({
    brokers: c.kafkaBrokers,
    clientId: 'vigil-monitor-webhook-replay',
    retries: 2,
  });
  const producer = new EventProducer(kafka);
  // Retry warnings to stderr: stdout is the report.
  const logger = createLogger({
    service: 'monitor-webhook-replay',
    level: 'warn',
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  const tally = { selected: 0, delivered: 0, failed: 0, skipped: 0 };
  const dlq = async (d: DeadLetter) => {
    tally.failed++;
    console.log(
      `FAILED     ${d.event.attributes.alertId.slice(0, 12)} event=${d.event.id} ${d.reason}: ${d.detail}`,
    );
    await producer.send(c.webhookDlqTopic, [
      webhookDeadLetterRecord(d, c.alertsTopic, { 'dlq-replayed': 'true' }),
    ]);
  };
  const webhook =
    !args.dryRun && c.webhookUrl && c.webhookSecret
      ? new WebhookDispatcher({
          url: c.webhookUrl,
          secret: c.webhookSecret,
          format: c.webhookFormat,
          minSeverity: 'info',
          statuses: ['firing', 'updated', 'resolved'],
          maxAttempts: c.webhookMaxAttempts,
          maxElapsedMs: c.webhookMaxElapsedSeconds * 1000,
          backoffMs: c.webhookBackoffMs,
          backoffMaxMs: c.webhookBackoffMaxMs,
          timeoutMs: c.webhookTimeoutMs,
          queueMax: 1,
          concurrency: 1,
          ctx: socContextFromFile(c.rulesFile, c.release, (w) => console.error(w)),
          logger,
          deadLetter: dlq,
        })
      : undefined;
  await producer.connect();
  try {
    await readTopic(kafka, c.webhookDlqTopic, async ({ partition, message }) => {
      const reason = headerString(message.headers ?? {}, 'dlq-reason') ?? '';
      const failedAt = Date.parse(headerString(message.headers ?? {}, 'dlq-failed-at') ?? '');
      if (args.reasons.length && !args.reasons.includes(reason)) return;
      if (args.since !== undefined && !(failedAt >= args.since)) return;
      const d = decodeEvent(message.value);
      if (!d.ok || d.event.type !== EventType.SECURITY_ALERT) {
        tally.skipped++;
        console.log(`SKIPPED    partition ${partition} offset ${message.offset}: not a SECURITY_ALERT`);
        return;
      }
      const e = d.event as AlertEventEnvelope;
      tally.selected++;
      if (!webhook) {
        console.log(`WOULD SEND ${e.attributes.alertId.slice(0, 12)} event=${e.id} (${reason})`);
        return;
      }
      const before = tally.failed;
      // One at a time, in DLQ order: deliver() resolves once the escalation is delivered or dead-lettered again.
      await webhook.deliverNow(e);
      if (tally.failed === before) {
        tally.delivered++;
        console.log(`DELIVERED  ${e.attributes.alertId.slice(0, 12)} event=${e.id} (was ${reason})`);
      }
    });
  } finally {
    await producer.disconnect();
  }
  console.log(
    `${tally.selected} escalation(s) selected: ${tally.delivered} delivered, ${tally.failed} failed again${tally.skipped ? `, ${tally.skipped} skipped` : ''}${args.dryRun ? ' (dry run)' : ''}`,
  );
  return tally.failed > 0 ? 1 : 0;
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(
        err instanceof UsageError ? err.message : `monitor:webhook-replay failed: ${(err as Error).message}`,
      );
      process.exit(2);
    },
  );
