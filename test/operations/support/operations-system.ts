/**
 * The four services running together for the operator tooling's tests (the `vigil` CLI, the
 * runbooks): the auth-gateway, the audit-writer ingesting the gateway's auth topic, an ops topic
 * and the monitor's alerts, the security-monitor on the auth topic, and the retention-worker on the
 * writer's store, each in-process on its own port, against the real broker and PostgreSQL.
 * `cli(args)` runs the CLI in-process (run(argv, io)) with an environment pointing at them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { Client } from 'pg';
import { dlqTopic } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import {
  createTopics,
  deleteTopics,
  kafkaBrokers,
  testDatabaseUrl,
  uniqueTopic,
  waitFor,
} from '@vigil/testing';
import { run } from '../../../apps/vigil-cli/src/program';
import type { CliIo } from '../../../apps/vigil-cli/src/output';
import { startApp, type TestApp } from '../../support/apps';
import { superuser } from '../../audit-writer/support';
import { ADMIN, startGateway, type Gateway } from '../../auth-gateway/support/gateway';
import { bootMonitor, monitorFixture, type MonitorApp } from '../../security-monitor/support';

export interface CliRun {
  code: number;
  out: string;
  err: string;
  json<T = unknown>(): T;
}

export interface OperationsSystem {
  gw: Gateway;
  writer: TestApp;
  monitor: MonitorApp;
  worker: TestApp;
  /** The topics the writer ingests: the gateway's auth events, an ops topic, the monitor's alerts. */
  topics: { auth: string; ops: string; alerts: string };
  urls: { gateway: string; writer: string; monitor: string; retention: string };
  /** A superuser connection (counting rows in the writer's schema). */
  db: Client;
  producer: EventProducer;
  /** The environment the CLI runs with. */
  env: Record<string, string | undefined>;
  cli(args: string[], extra?: Record<string, string | undefined>): Promise<CliRun>;
  close(): Promise<void>;
}

async function listen(app: TestApp['app']): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

export async function startOperationsSystem(name: string): Promise<OperationsSystem> {
  const made: string[] = [];
  const tmp = (prefix: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
  const db = await superuser();
  const gw = await startGateway();
  const gateway = await listen(gw.app);
  const jwks = `${gateway}/.well-known/jwks.json`;
  const auth = gw.topics.auth;
  const ops = uniqueTopic(`${name}.ops`);
  await createTopics([auth, dlqTopic(auth)], 3).catch(() => undefined);
  await createTopics([ops, dlqTopic(ops)], 1);
  const mfx = await monitorFixture(name);
  const keyDir = tmp('vigil-ops-keys-');
  const restoreSchema = `restore_${name.replace(/\W/g, '_')}_${Date.now().toString(36)}`;
  const audited = `${auth},${ops},${mfx.alerts}`;
  const writer = await startApp('audit-writer', {
    AUDIT_TOPICS: audited,
    AUTH_EVENTS_TOPIC: auth,
    KAFKA_GROUP_ID: `${name}-writer-${auth}`,
    AUTH_JWKS_URL: jwks,
    AUDIT_KEY_DIR: keyDir,
    AUDIT_CHECKPOINT_INTERVAL_MS: '300',
    RESTORE_DB_SCHEMA: restoreSchema,
  });
  const monitor = await bootMonitor(mfx, {
    MONITOR_INPUT_TOPIC: auth,
    AUTH_EVENTS_TOPIC: auth,
    AUTH_JWKS_URL: jwks,
  });
  const worker = await startApp('retention-worker', {
    ARCHIVE_STORE: 'local',
    ARCHIVE_DIR: tmp('vigil-ops-archive-'),
    AUDIT_DB_SCHEMA: writer.schema,
    RESTORE_DB_SCHEMA: restoreSchema,
    RETENTION_HOT_DAYS: '3',
    RETENTION_DETACHED_GRACE_HOURS: '0',
    RETENTION_SCHEDULE: 'off',
    BACKUP_SCHEDULE: 'off',
    RETENTION_CUT_TIMEOUT_MS: '30000',
    AUTH_JWKS_URL: jwks,
    AUTH_EVENTS_TOPIC: auth,
    KAFKA_GROUP_ID: `${name}-retention-${auth}`,
  });
  const urls = {
    gateway,
    writer: await listen(writer.app),
    monitor: await listen(monitor.app),
    retention: await listen(worker.app),
  };
  for (const [what, app] of [
    ['writer', writer.app],
    ['monitor', monitor.app],
    ['retention worker', worker.app],
  ] as const) {
    await waitFor(async () => (await request(app.getHttpServer()).get('/health')).status === 200, {
      timeoutMs: 60_000,
      what: `${what} ready`,
    });
  }
  const producer = writer.app.get(EventProducer);
  await waitFor(() => producer.isConnected, { what: 'writer producer' });

  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('KAFKA_'))),
    // Nothing answers the base URL: every request must go where a per-service override says.
    VIGIL_BASE_URL: 'http://127.0.0.1:9',
    VIGIL_GATEWAY_URL: urls.gateway,
    VIGIL_AUDIT_URL: urls.writer,
    VIGIL_MONITOR_URL: urls.monitor,
    VIGIL_RETENTION_URL: urls.retention,
    VIGIL_ADMIN_USERNAME: ADMIN.username,
    VIGIL_ADMIN_PASSWORD: ADMIN.password,
    VIGIL_DATABASE_URL: testDatabaseUrl(),
    VIGIL_AUDIT_SCHEMA: writer.schema,
    VIGIL_ALERTS_TOPIC: mfx.alerts,
    KAFKA_BROKERS: kafkaBrokers().join(','),
    AUDIT_KEY_DIR: keyDir,
    AUDIT_TOPICS: audited,
  };

  const cli = async (args: string[], extra: Record<string, string | undefined> = {}): Promise<CliRun> => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      stdout: (t) => out.push(t.endsWith('\n') ? t : `${t}\n`),
      stderr: (t) => err.push(t.endsWith('\n') ? t : `${t}\n`),
      interactive: false,
      env: { ...env, ...extra },
    };
    const code = await run(args, io);
    const text = out.join('');
    return { code, out: text, err: err.join(''), json: <T>() => JSON.parse(text) as T };
  };

  return {
    gw,
    writer,
    monitor,
    worker,
    topics: { auth, ops, alerts: mfx.alerts },
    urls,
    db,
    producer,
    env,
    cli,
    close: async () => {
      await worker.close();
      await monitor.close();
      await mfx.db.drop();
      await writer.close();
      await gw.close();
      await db.end();
      await deleteTopics([ops, dlqTopic(ops)]).catch(() => undefined);
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    },
  };
}
