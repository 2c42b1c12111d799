import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from 'pg';
import { createEvent, type EventEnvelope } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { testDatabaseUrl, uniqueTopic, waitFor } from '@vigil/testing';
import {
  count,
  failedLogin,
  runAuditCli,
  sendToChains,
  superuser,
  writerFixture,
} from '../audit-writer/support';
import { tokenIssuer } from '../audit-writer/tokens';
import { startApp } from '../support/apps';
import { s3ProxyEnv } from '../support/s3';

export const DAY_MS = 86_400_000;
/** Midday UTC `n` days ago. */
export const daysAgo = (n: number, minute = 0) => {
  const d = new Date();
  return new Date(
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) -
      n * DAY_MS +
      12 * 3_600_000 +
      minute * 60_000,
  );
};
export const partitionOf = (n: number) =>
  `audit_logs_${daysAgo(n).toISOString().slice(0, 10).replace(/-/g, '')}`;
export const dayOf = (n: number) => daysAgo(n).toISOString().slice(0, 10);

/** An auditor's read of the audit store: an admin-class (7-year) row. */
export function auditRead(at: Date, userId = randomUUID()): EventEnvelope {
  return createEvent('AUDIT_LOG_READ', {
    producer: 'audit-writer',
    occurredAt: at,
    actor: { userId, roles: ['auditor'] },
    source: { ip: '203.0.113.77', userAgent: 'vigil-cli/1' },
    outcome: 'success',
    attributes: { endpoint: '/api/v1/audit/logs', filters: { action: 'FAILED_AUTH_LOGIN' }, rowCount: 3 },
  }) as EventEnvelope;
}

/**
 * A writer with rows on chosen past days (failed logins on two auth chains, audit reads on the
 * ops chain), a token issuer, and a retention worker pointed at the writer's schema.
 */
export async function retentionFixture(
  name: string,
  days: number[],
  opts: { perDay?: number; workerEnv?: Record<string, string> } = {},
) {
  const perDay = opts.perDay ?? 20;
  const issuer = await tokenIssuer();
  const fx = await writerFixture(name, 2);
  const restoreSchema = `restore_${name.replace(/\W/g, '_')}_${Date.now().toString(36)}`;
  const writer = await startApp('audit-writer', {
    ...fx.env,
    AUTH_JWKS_URL: issuer.jwksUrl,
    RESTORE_DB_SCHEMA: restoreSchema,
  });
  const db: Client = await superuser();
  const producer = writer.app.get(EventProducer);
  await waitFor(() => producer.isConnected, { what: 'writer producer' });
  let i = 0;
  for (const n of days) {
    await sendToChains(
      producer,
      fx.auth,
      [0, 1].map((p) =>
        Array.from({ length: perDay / 2 }, (_, k) => failedLogin(i++, daysAgo(n, p * 100 + k))),
      ),
    );
    await sendToChains(producer, fx.ops, [[auditRead(daysAgo(n, 300)), auditRead(daysAgo(n, 301))]]);
  }
  const total = days.length * (perDay + 2);
  await waitFor(async () => (await count(db, writer.schema)) === total, {
    what: `${total} rows`,
    timeoutMs: 60_000,
  });
  const workerEnv = {
    ...s3ProxyEnv(),
    ARCHIVE_S3_PREFIX: `test/${randomUUID()}`,
    AUDIT_DB_SCHEMA: writer.schema,
    RESTORE_DB_SCHEMA: restoreSchema,
    RETENTION_HOT_DAYS: '3',
    RETENTION_DETACHED_GRACE_HOURS: '0',
    RETENTION_SCHEDULE: 'off',
    RETENTION_CUT_TIMEOUT_MS: '30000',
    AUTH_JWKS_URL: issuer.jwksUrl,
    KAFKA_GROUP_ID: `vigil-retention-${uniqueTopic(name)}`,
    ...opts.workerEnv,
  };
  const worker = await startApp('retention-worker', workerEnv);
  const admin = await issuer.sign({ sub: randomUUID(), roles: ['admin'] });
  const auditor = await issuer.sign({ sub: randomUUID(), roles: ['auditor'] });
  const verifyEnv = {
    DATABASE_URL: testDatabaseUrl(),
    DB_SCHEMA: writer.schema,
    AUDIT_KEY_DIR: fx.keyDir,
    AUDIT_TOPICS: `${fx.auth},${fx.ops}`,
  };
  return {
    fx,
    issuer,
    writer,
    worker,
    workerEnv,
    db,
    admin,
    auditor,
    total,
    verify: (...args: string[]) => runAuditCli('verify', args, verifyEnv),
    rowsOn: (n: number) =>
      count(db, writer.schema, `created_at >= '${dayOf(n)}' AND created_at < '${dayOf(n)}'::date + 1`),
    partitions: async () =>
      (
        await db.query(
          `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace s ON s.oid = p.relnamespace
            WHERE s.nspname = $1 AND p.relname = 'audit_logs' ORDER BY 1`,
          [writer.schema],
        )
      ).rows.map((r) => r.relname as string),
    outbox: async (type?: string) =>
      (
        await db.query(
          `SELECT payload FROM "${worker.schema}".ops_outbox ${type ? 'WHERE type = $1' : ''} ORDER BY seq`,
          type ? [type] : [],
        )
      ).rows.map((r) => r.payload),
    restoreSchema,
    /** The worker's variables for its CLI, against the same schemas. */
    cliEnv: {
      ...workerEnv,
      DATABASE_URL: testDatabaseUrl(),
      DB_SCHEMA: worker.schema,
      KAFKA_BROKERS: '127.0.0.1:1',
    } as Record<string, string>,
    async close(): Promise<void> {
      await worker.close();
      await db.query(`DROP SCHEMA IF EXISTS "${restoreSchema}" CASCADE`);
      await writer.close();
      await db.end();
      await issuer.close();
    },
  };
}
export type RetentionFixture = Awaited<ReturnType<typeof retentionFixture>>;

/** Runs `npm run retention -- <args>` from source with the worker's variables; resolves with exit code and output. */
export function runRetentionCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', './tools/ts-register.js', 'apps/retention-worker/src/cli/retention.cli.ts', ...args],
      {
        cwd: path.resolve(__dirname, '../..'),
        env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}
