import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createEvent, dlqTopic, type EventEnvelope } from '@vigil/contracts';
import { createTopics, testDatabaseUrl, uniqueTopic } from '@vigil/testing';

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
