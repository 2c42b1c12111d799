import { copyFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'pg';
import { createEvent, decodeEvent, dlqTopic, type EventEnvelope, type EventOf } from '@vigil/contracts';
import { createKafka } from '@vigil/kafka';
import { createTopics, freshSchema, kafkaBrokers, testKafka, uniqueTopic } from '@vigil/testing';
import type { SecurityMonitorConfig } from '../../apps/security-monitor/src/config';
import { DEFAULT_RULES_FILE } from '../../apps/security-monitor/src/testing/test-events';
import { testActionKeys } from '../support/action-signing';
import { startApp, type TestApp } from '../support/apps';

/** Unique input/output topics, group, schema and a private copy of the rules file for one suite. */
export async function monitorFixture(name: string, partitions = 1) {
  const input = uniqueTopic(`${name}.auth`);
  const alerts = uniqueTopic(`${name}.alerts`);
  const actions = uniqueTopic(`${name}.actions`);
  const repartition = uniqueTopic(`${name}.by-ip`);
  const partials = uniqueTopic(`${name}.partials`);
  await createTopics(
    [
      input,
      dlqTopic(input),
      alerts,
      dlqTopic(alerts),
      actions,
      dlqTopic(actions),
      repartition,
      dlqTopic(repartition),
    ],
    partitions,
  );
  await createTopics([partials, dlqTopic(partials)], 1);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-rules-'));
  const rulesFile = path.join(dir, 'rules.json');
  copyFileSync(DEFAULT_RULES_FILE, rulesFile);
  const db = await freshSchema('security_monitor');
  return {
    input,
    alerts,
    actions,
    repartition,
    partials,
    rulesFile,
    db,
    env: {
      MONITOR_INPUT_TOPIC: input,
      MONITOR_ALERTS_TOPIC: alerts,
      MONITOR_ACTIONS_TOPIC: actions,
      MONITOR_REPARTITION_TOPIC: repartition,
      MONITOR_PARTIALS_TOPIC: partials,
      KAFKA_GROUP_ID: `vigil-monitor-${input}`,
      RULES_FILE: rulesFile,
      MONITOR_BATCH_MAX: '500',
    } as Record<string, string>,
  };
}

export type MonitorApp = TestApp<SecurityMonitorConfig>;

/** Boots security-monitor in-process (startApp) on the fixture's schema, so a second boot is a restart. */
export async function bootMonitor(
  fx: Awaited<ReturnType<typeof monitorFixture>>,
  extra: Record<string, string> = {},
): Promise<MonitorApp> {
  return startApp(
    'security-monitor',
    {
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      MONITOR_ACTION_SIGNING_KEY_FILE: testActionKeys().keyFile,
      MONITOR_ACTION_KEY_DIR: testActionKeys().dir,
      ...fx.env,
      ...extra,
    },
    { db: fx.db, logLevel: 'info' },
  );
}

export type AlertEvent = EventOf<'SECURITY_ALERT'>;

export interface Collector<T> {
  events: T[];
  stop(): Promise<void>;
}

/** Collects every event published on a topic from the beginning, as decoded contract events. */
export async function collect<T extends EventEnvelope = AlertEvent>(topic: string): Promise<Collector<T>> {
  // Enough retries to ride out a broker outage of a fault suite (KafkaJS restarts a consumer whose
  // retries ran out); a short fetch wait, as stopping waits for the fetch in flight (default 5 s).
  const consumer = createKafka({
    clientId: 'vigil-test-collector',
    brokers: kafkaBrokers(),
    retries: 30,
  }).consumer({ groupId: `test-collect-${uniqueTopic('g')}`, maxWaitTimeInMs: 500 });
  const got: T[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const d = decodeEvent(message.value);
      if (!d.ok) throw new Error(`undecodable message on ${topic}: ${d.reason} ${d.detail}`);
      got.push(d.event as T);
    },
  });
  return { events: got, stop: () => consumer.disconnect() };
}

/** Event times a little in the past, so minutes of traffic play out in milliseconds. */
export const clock =
  (base = Date.now() - 30 * 60_000) =>
  (s: number) =>
    new Date(base + s * 1000);

export function failed(at: Date, username: string, ip = '198.51.100.10'): EventEnvelope {
  return createEvent('FAILED_AUTH_LOGIN', {
    producer: 'auth-gateway',
    occurredAt: at,
    subject: { username },
    source: { ip },
    outcome: 'failure',
    reason: 'invalid_credentials',
    attributes: { repeated: false },
  });
}

export function loginOk(at: Date, userId: string): EventEnvelope {
  return createEvent('AUTH_LOGIN', {
    producer: 'auth-gateway',
    occurredAt: at,
    subject: { userId },
    source: { ip: '198.51.100.200' },
    outcome: 'success',
    attributes: {},
  });
}

export const ofRule = (events: AlertEvent[], ruleId: string, keyValue?: string) =>
  events.filter(
    (e) => e.attributes.ruleId === ruleId && (keyValue === undefined || e.attributes.key.value === keyValue),
  );

/**
 * Whether every stage's saved state (partition_state in `schema`) covers the end of its input
 * topic: the user stage's input, the IP repartition topic, the partials topic.
 */
export async function stagesCaughtUp(db: Client, schema: string, topics: string[]): Promise<boolean> {
  const admin = testKafka('vigil-test-admin').admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const { rows } = await db.query(
        `SELECT partition, input_offset::text AS o FROM "${schema}".partition_state WHERE topic = $1`,
        [topic],
      );
      const saved = new Map(rows.map((r) => [Number(r.partition), BigInt(r.o)]));
      for (const p of ends)
        if (BigInt(p.high) > 0n && saved.get(p.partition) !== BigInt(p.high) - 1n) return false;
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}
