/**
 * Starts the auth-gateway in-process through startApp (the definition main.ts boots: OpenAPI, body
 * limits, filters, proxy trust), against the real PostgreSQL (a fresh schema, or a shared one for a second instance)
 * and the real Kafka broker (topics unique to the run), with log lines captured for scanning.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Client } from 'pg';
import { decodeEvent, dlqTopic, type AnyEvent } from '@vigil/contracts';
import { createKafka, type KafkaClient } from '@vigil/kafka';
import {
  deleteTopics,
  freshSchema,
  kafkaBrokers,
  testDatabaseUrl,
  uniqueTopic,
  waitFor,
} from '@vigil/testing';
import type { AuthGatewayConfig } from '../../../apps/auth-gateway/src/config';
import { startApp } from '../../support/apps';
import { testActionKeys } from '../../support/action-signing';

export const ADMIN = { username: 'admin', email: 'admin@vigil.test', password: 'Adm1n-Bootstrap-Pass!' };

/** Cheap Argon2 for suites that do not measure it (defaults stay OWASP's; production refuses less). */
export const FAST_ARGON2 = { ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' };

export interface GatewayOptions {
  env?: Record<string, string>;
  /** Join another instance's schema, topics and keys (a second gateway instance). */
  shareWith?: Gateway;
  brokers?: string;
  /** The gateway's log level [debug]. */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
}

export interface Gateway {
  app: NestExpressApplication;
  config: AuthGatewayConfig;
  schema: string;
  keysDir: string;
  topics: { auth: string; actions: string };
  logs: Array<Record<string, unknown>>;
  rawLogs: string[];
  /** A superuser connection on the gateway's schema (search_path set). */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export async function startGateway(opts: GatewayOptions = {}): Promise<Gateway> {
  const shared = opts.shareWith;
  const fresh = shared ? undefined : await freshSchema('gw');
  const schema = shared?.schema ?? fresh!.schema;
  const url = testDatabaseUrl();
  const keysDir = shared?.keysDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-gw-keys-')));
  const topics = shared?.topics ?? { auth: uniqueTopic('gw-auth'), actions: uniqueTopic('gw-actions') };
  const t = await startApp(
    'auth-gateway',
    {
      NODE_ENV: 'test',
      KAFKA_BROKERS: opts.brokers ?? kafkaBrokers().join(','),
      KAFKA_CLIENT_ID: `test-${schema}-${randomUUID().slice(0, 4)}`,
      KAFKA_GROUP_ID: `test-gw-${schema}`,
      KAFKA_TOPIC_AUTH_EVENTS: topics.auth,
      KAFKA_TOPIC_SECURITY_ACTIONS: topics.actions,
      SIGNING_KEYS_DIR: keysDir,
      OUTBOX_POLL_MS: '50',
      BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      // The suites speak for many clients through X-Forwarded-For from loopback, as an ingress would.
      TRUST_PROXY: 'loopback',
      SECURITY_ACTION_PUBLIC_KEYS: testActionKeys().publicDir,
      ...FAST_ARGON2,
      ...opts.env,
    },
    { db: { url, schema }, logLevel: opts.logLevel },
  );
  const pg = new Client({ connectionString: url, options: `-c search_path=${schema},public` });
  await pg.connect();
  return {
    app: t.app,
    config: t.config,
    schema,
    keysDir,
    topics,
    logs: t.logs,
    rawLogs: t.rawLogs,
    sql: async <R>(text: string, params?: unknown[]) => (await pg.query(text, params)).rows as R[],
    close: async () => {
      await t.close();
      await pg.end();
      if (!shared) {
        await fresh!.drop();
        await fs.rm(keysDir, { recursive: true, force: true });
        await deleteTopics([
          topics.auth,
          dlqTopic(topics.auth),
          topics.actions,
          dlqTopic(topics.actions),
        ]).catch(() => undefined);
      }
    },
  };
}

/** Waits until the gateway is ready (PostgreSQL, migrations, Kafka, producer, consumer). */
export async function waitReady(g: Gateway, timeoutMs = 60000): Promise<void> {
  const request = (await import('supertest')).default;
  await waitFor(async () => (await request(g.app.getHttpServer()).get('/health')).status === 200, {
    timeoutMs,
    what: 'gateway ready',
  });
}

/**
 * Reads a topic from the beginning for as long as the suite runs, decoding every record: what
 * consumers downstream (writer, monitor) would see.
 */
export class TopicTap {
  readonly events: AnyEvent[] = [];
  readonly raw: string[] = [];
  readonly keys: Array<string | null> = [];
  private consumer?: ReturnType<KafkaClient['consumer']>;

  constructor(
    private readonly topic: string,
    private readonly brokers = kafkaBrokers(),
  ) {}

  async start(): Promise<this> {
    // As the fixtures' principal (the environment's KAFKA_USERNAME/KAFKA_PASSWORD[_FILE]); no logger: silent.
    const kafka = createKafka({ clientId: 'vigil-test-tap', brokers: this.brokers });
    // A short fetch wait: stopping waits for the fetch in flight (KafkaJS's default wait is 5 s).
    this.consumer = kafka.consumer({
      groupId: `tap-${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
    });
    await this.consumer.connect();
    await waitFor(
      async () => {
        await this.consumer!.subscribe({ topic: this.topic, fromBeginning: true });
        return true;
      },
      { timeoutMs: 60000, what: `topic ${this.topic} to exist` },
    );
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const text = message.value?.toString() ?? '';
        this.raw.push(text);
        this.keys.push(message.key?.toString() ?? null);
        const decoded = decodeEvent(text);
        if (decoded.ok) this.events.push(decoded.event);
      },
    });
    return this;
  }

  of<T extends AnyEvent['type']>(type: T): Extract<AnyEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<AnyEvent, { type: T }> => e.type === type);
  }

  async waitFor<T extends AnyEvent['type']>(
    type: T,
    pred: (e: Extract<AnyEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 30000,
  ): Promise<Extract<AnyEvent, { type: T }>> {
    return waitFor(() => this.of(type).find(pred), { timeoutMs, what: `${type} on ${this.topic}` });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
