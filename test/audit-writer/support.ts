import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createEvent, dlqTopic, type EventEnvelope } from '@vigil/contracts';
import { toMessage, type EventProducer } from '@vigil/kafka';
import { createTopics, kafkaBrokers, testDatabaseUrl, uniqueTopic } from '@vigil/testing';

/** Unique ingest topics (with DLQs) and writer settings for one suite. */
export async function writerFixture(name: string, partitions = 3) {
  const auth = uniqueTopic(`${name}.auth`);
  const ops = uniqueTopic(`${name}.ops`);
  await createTopics([auth, dlqTopic(auth), ops, dlqTopic(ops)], partitions);
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-keys-'));
  return {
    auth,
    ops,
    keyDir,
    env: {
      AUDIT_TOPICS: `${auth},${ops}`,
      KAFKA_GROUP_ID: `vigil-audit-writer-${auth}`,
      AUDIT_CHECKPOINT_INTERVAL_MS: '300',
      AUDIT_KEY_DIR: keyDir,
    },
  };
}

let n = 0;
/** A failed login for one of `users` distinct users from a few IPs, at `at` (default now). */
export function failedLogin(i: number, at?: Date): EventEnvelope {
  n++;
  return createEvent('FAILED_AUTH_LOGIN', {
    producer: 'auth-gateway',
    occurredAt: at ?? new Date(),
    subject: { username: `user${i % 97}@example.com` },
    source: { ip: `198.51.100.${i % 50}`, userAgent: 'curl/8.5.0' },
    outcome: 'failure',
    reason: 'invalid_credentials',
    requestId: `req-${n}`,
    attributes: { attemptCount: 1 + (i % 5), repeated: false },
  }) as EventEnvelope;
}

export function login(userId: string, at?: Date): EventEnvelope {
  return createEvent('AUTH_LOGIN', {
    producer: 'auth-gateway',
    occurredAt: at ?? new Date(),
    actor: { userId, roles: ['user'] },
    subject: { userId, username: `${userId}@example.com` },
    source: { ip: '203.0.113.9', userAgent: 'Mozilla/5.0' },
    outcome: 'success',
    attributes: { sessionId: `sess-${userId}`, familyId: `fam-${userId}` },
  }) as EventEnvelope;
}

export async function superuser(): Promise<Client> {
  const c = new Client({ connectionString: testDatabaseUrl() });
  await c.connect();
  return c;
}

export async function count(db: Client, schema: string, where = 'true'): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM "${schema}".audit_logs WHERE ${where}`);
  return rows[0].n;
}

/** Runs one of audit-writer's CLIs from source, as an operator would; resolves with exit code and output. */
export function runAuditCli(
  cli: 'verify' | 'witness',
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', './tools/ts-register.js', `apps/audit-writer/src/verify/${cli}.cli.ts`, ...args],
      {
        cwd: path.resolve(__dirname, '../..'),
        env: { PATH: process.env.PATH, KAFKA_BROKERS: kafkaBrokers().join(','), ...env },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** Whether the chain has a checkpoint at `position` that is already on audit.checkpoints.v1. */
export async function publishedAt(
  db: Client,
  schema: string,
  chainId: string,
  position: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM "${schema}".audit_checkpoints c JOIN "${schema}".checkpoint_publications p ON p.checkpoint_id = c.id
      WHERE c.chain_id = $1 AND c.position = $2 LIMIT 1`,
    [chainId, position],
  );
  return (rowCount ?? 0) > 0;
}

/** Events sent to chosen partitions (chains), in order: `perChain[p]` goes to partition p. */
export async function sendToChains(
  producer: EventProducer,
  topic: string,
  perChain: EventEnvelope[][],
): Promise<void> {
  await producer.send(
    topic,
    perChain.flatMap((events, partition) => events.map((e) => ({ ...toMessage(e), partition }))),
  );
}
