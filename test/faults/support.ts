import path from 'node:path';
import { dlqTopic, type EventEnvelope } from '@vigil/contracts';
import type { EventProducer } from '@vigil/kafka';
import { testKafka } from '@vigil/testing';
import { ROOT, runScript } from '../support/processes';

const RESEND_AFTER_MS = 500;

/** A fault plus recovery takes longer than the suite's default test timeout. */
export const FAULT_TEST_TIMEOUT_MS = 300_000;

/** The fault itself: a dependency kept away for a fixed time (the outage, not a wait for a condition). */
export const outage = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Publishes until the broker takes it, as the gateway's outbox relay does: a send that fails
 * (broker away) is sent again. Returns how many resends it took.
 */
export async function publishUntilLanded(
  producer: EventProducer,
  topic: string,
  events: EventEnvelope[],
): Promise<number> {
  for (let resends = 0; ; resends++) {
    try {
      await producer.publish(topic, events);
      return resends;
    } catch {
      await outage(RESEND_AFTER_MS);
    }
  }
}

/** Records in the DLQs of `topics` (on the broker KAFKA_BROKERS names now). */
export async function dlqDepth(topics: string[]): Promise<number> {
  const admin = testKafka('vigil-test-admin').admin();
  await admin.connect();
  try {
    let n = 0;
    for (const t of topics)
      for (const p of await admin.fetchTopicOffsets(dlqTopic(t))) n += Number(p.high) - Number(p.low);
    return n;
  } finally {
    await admin.disconnect();
  }
}

/**
 * A Kafka broker of a fault suite's own (its own port and data directory, deploy/local/kafka.sh),
 * so stopping it mid-stream leaves the shared broker serving the other suites.
 */
export class FaultBroker {
  readonly env: Record<string, string>;
  private shared?: string;

  constructor(name: string, port: number) {
    this.env = {
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(port + 1),
      KAFKA_HOME: path.join(ROOT, `.cache/kafka-${name}`),
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      KAFKA_HEAP: '-Xms128m -Xmx512m',
      // The shared broker's credentials: fixtures and services authenticate to either broker alike.
      KAFKA_SASL_DIR:
        process.env.KAFKA_SASL_DIR ??
        path.join(process.env.KAFKA_HOME ?? path.join(ROOT, '.cache/kafka'), 'sasl'),
      KAFKA_TLS_LISTENER: '0',
    };
  }

  get brokers(): string {
    return this.env.KAFKA_BROKERS;
  }

  async start(): Promise<void> {
    const r = await runScript('deploy/local/kafka.sh', ['start'], this.env);
    if (r.code !== 0) throw new Error(`fault broker did not start:\n${r.output}`);
  }

  async stop(): Promise<void> {
    const r = await runScript('deploy/local/kafka.sh', ['stop'], this.env);
    if (r.code !== 0) throw new Error(`fault broker did not stop:\n${r.output}`);
  }

  /** Test helpers (fixtures, collectors) read KAFKA_BROKERS: point them here until reset(). */
  useForHelpers(): void {
    this.shared = process.env.KAFKA_BROKERS;
    process.env.KAFKA_BROKERS = this.brokers;
  }

  /** Stops it, deletes its data, and points the helpers back at the shared broker. */
  async reset(): Promise<void> {
    await runScript('deploy/local/kafka.sh', ['reset'], this.env);
    if (this.shared === undefined) delete process.env.KAFKA_BROKERS;
    else process.env.KAFKA_BROKERS = this.shared;
  }
}
