/**
 * `npm run monitor:alerts -- [--severity high] [--rule <id>]... [--since 1h] [--follow] [--json | --format json|ocsf|ecs]`:
 * reads security.alerts.v1 and prints each alert transition readably (seed 001's daily review of
 * security alerts), or one JSON line each: the event as published (json), an OCSF 1.1.0 Detection
 * Finding (ocsf) or an ECS 8.11 alert (ecs), the same records the monitor's SOC sinks write (a
 * SIEM backfill). Without --follow it prints what is there and a tally, then exits; with it, it
 * keeps tailing. Reads KAFKA_BROKERS [127.0.0.1:9092], MONITOR_ALERTS_TOPIC [security.alerts.v1] and,
 * for rule descriptions in ocsf/ecs, RULES_FILE [apps/security-monitor/rules/default.rules.json].
 * Exit 0, or 2 on a usage or connection error. Commits nothing: it joins a throwaway group.
 */
import { randomUUID } from 'node:crypto';
import { env, loadConfig } from '@vigil/config';
import {
  decodeEvent,
  formatAlertAs,
  Topics,
  type AlertEventEnvelope,
  type EventEnvelope,
  type SecurityAlertAttributes,
} from '@vigil/contracts';
import { createKafka } from '@vigil/kafka';
import { socContextFromFile } from '../soc/soc-context';
import { formatAlert, isShown, parseArgs, tally, UsageError } from './alert-view';

const schema = {
  kafkaBrokers: env.hostPorts('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }),
  alertsTopic: env.string('MONITOR_ALERTS_TOPIC', {
    default: Topics.SECURITY_ALERTS,
    pattern: /^[a-zA-Z0-9._-]+$/,
  }),
  rulesFile: env.string('RULES_FILE', {
    default: 'apps/security-monitor/rules/default.rules.json',
    maxLength: 1000,
  }),
  release: env.string('VIGIL_VERSION', { optional: true, pattern: /^[0-9A-Za-z.+_-]{1,64}$/ }),
};

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const config = loadConfig(schema);
  const topic = config.alertsTopic;
  const soc =
    opts.format === 'ocsf' || opts.format === 'ecs'
      ? socContextFromFile(config.rulesFile, config.release, (w) => console.error(w))
      : undefined;
  const line = (e: EventEnvelope<SecurityAlertAttributes>) =>
    !opts.json
      ? formatAlert(e)
      : soc && opts.format
        ? formatAlertAs(opts.format, e as AlertEventEnvelope, soc)
        : JSON.stringify(e);
  const kafka = createKafka({
    brokers: config.kafkaBrokers,
    clientId: 'vigil-monitor-alerts-cli',
    retries: 2,
  });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  const starts =
    opts.since !== undefined ? await admin.fetchTopicOffsetsByTimestamp(topic, opts.since) : undefined;
  await admin.disconnect();

  // Where each partition must reach for a non-follow run to be complete.
  const pending = new Map(
    ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high) - 1n]),
  );
  for (const s of starts ?? [])
    if (BigInt(s.offset) >= BigInt(ends.find((e) => e.partition === s.partition)?.high ?? 0))
      pending.delete(s.partition);

  const shown: Array<EventEnvelope<SecurityAlertAttributes>> = [];
  const consumer = kafka.consumer({ groupId: `vigil-monitor-alerts-cli-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done!: () => void;
  const caughtUp = new Promise<void>((r) => (done = r));
  if (!opts.follow && pending.size === 0) done();
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const d = decodeEvent(message.value);
      if (d.ok && isShown(d.event, opts)) {
        shown.push(d.event);
        console.log(line(d.event));
      } else if (!d.ok)
        console.error(`partition ${partition} offset ${message.offset}: not a valid event (${d.reason})`);
      const target = pending.get(partition);
      if (target !== undefined && BigInt(message.offset) >= target) {
        pending.delete(partition);
        if (!opts.follow && pending.size === 0) done();
      }
    },
  });
  for (const s of starts ?? []) consumer.seek({ topic, partition: s.partition, offset: s.offset });
  if (opts.follow) {
    await new Promise<void>((r) => process.once('SIGINT', () => r()));
  } else {
    await caughtUp;
  }
  await consumer.disconnect();
  if (!opts.json) console.log(tally(shown));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(
      err instanceof UsageError ? err.message : `monitor:alerts failed: ${(err as Error).message}`,
    );
    process.exit(2);
  },
);
