/**
 * The four services in one test process, wired as in production and listening on loopback: the
 * auth-gateway; the audit-writer reading the gateway's auth topic and its own ops and alerts
 * topics; the security-monitor reading the gateway's auth topic (so both consumers of
 * auth.events see every hostile record); the retention-worker on the writer's schema. Every log
 * line of each is captured.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { dlqTopic } from '@vigil/contracts';
import { createTopics, uniqueTopic, waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../../support/apps';
import { startGateway, waitReady, type Gateway } from '../../auth-gateway/support/gateway';
import { bootMonitor, monitorFixture, type MonitorApp } from '../../security-monitor/support';
import { send } from './raw-http';

export type ServiceName = 'auth-gateway' | 'audit-writer' | 'security-monitor' | 'retention-worker';

export interface HostileSystem {
  gw: Gateway;
  writer: TestApp;
  monitor: MonitorApp;
  retention: TestApp;
  fx: Awaited<ReturnType<typeof monitorFixture>>;
  topics: {
    auth: string;
    ops: string;
    alerts: string;
    actions: string;
    repartition: string;
    partials: string;
  };
  /** Consumer groups, for reading who sent a record to a DLQ. */
  groups: { writer: string };
  base: Record<ServiceName, string>;
  apps: Record<ServiceName, NestExpressApplication>;
  /** Every log line written so far by the four services. */
  logLines(): string[];
  /** Every service answers 200 on /health. */
  healthy(): Promise<Record<ServiceName, number>>;
  close(): Promise<void>;
}

async function listen(app: NestExpressApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

export async function startHostileSystem(name: string): Promise<HostileSystem> {
  const gw = await startGateway();
  const gwBase = await listen(gw.app);
  const jwks = `${gwBase}/.well-known/jwks.json`;
  const ops = uniqueTopic(`${name}.ops`);
  const alerts = uniqueTopic(`${name}.alerts`);
  await createTopics(
    [gw.topics.auth, dlqTopic(gw.topics.auth), gw.topics.actions, dlqTopic(gw.topics.actions)],
    1,
  ).catch(() => undefined);
  await createTopics([ops, dlqTopic(ops), alerts, dlqTopic(alerts)], 1);
  const writerGroup = `${name}-writer-${gw.topics.auth}`;
  const writer = await startApp('audit-writer', {
    AUDIT_TOPICS: `${gw.topics.auth},${ops},${alerts}`,
    AUTH_EVENTS_TOPIC: gw.topics.auth,
    KAFKA_GROUP_ID: writerGroup,
    AUTH_JWKS_URL: jwks,
    AUDIT_KEY_DIR: mkdtempSync(path.join(os.tmpdir(), `vigil-${name}-keys-`)),
  });
  const fx = await monitorFixture(name);
  const monitor = await bootMonitor(fx, {
    MONITOR_INPUT_TOPIC: gw.topics.auth,
    AUTH_EVENTS_TOPIC: gw.topics.auth,
    AUTH_JWKS_URL: jwks,
  });
  const retention = await startApp('retention-worker', {
    AUDIT_DB_SCHEMA: writer.schema,
    AUTH_JWKS_URL: jwks,
    AUTH_EVENTS_TOPIC: gw.topics.auth,
    KAFKA_GROUP_ID: `${name}-retention-${gw.topics.auth}`,
    ARCHIVE_STORE: 'local',
    ARCHIVE_DIR: mkdtempSync(path.join(os.tmpdir(), `vigil-${name}-archive-`)),
    RETENTION_SCHEDULE: 'off',
    BACKUP_SCHEDULE: 'off',
  });
  const apps: Record<ServiceName, NestExpressApplication> = {
    'auth-gateway': gw.app,
    'audit-writer': writer.app,
    'security-monitor': monitor.app,
    'retention-worker': retention.app,
  };
  const base = {
    'auth-gateway': gwBase,
    'audit-writer': await listen(writer.app),
    'security-monitor': await listen(monitor.app),
    'retention-worker': await listen(retention.app),
  };
  const healthy = async () => {
    const out = {} as Record<ServiceName, number>;
    for (const svc of Object.keys(base) as ServiceName[])
      out[svc] = (await send(base[svc], { method: 'GET', path: '/health' })).status;
    return out;
  };
  await waitReady(gw);
  await waitFor(async () => Object.values(await healthy()).every((s) => s === 200), {
    timeoutMs: 60000,
    what: 'the four services ready',
  });
  return {
    gw,
    writer,
    monitor,
    retention,
    fx,
    topics: {
      auth: gw.topics.auth,
      ops,
      alerts,
      actions: gw.topics.actions,
      repartition: fx.repartition,
      partials: fx.partials,
    },
    groups: { writer: writerGroup },
    base,
    apps,
    logLines: () => [...gw.rawLogs, ...writer.rawLogs, ...monitor.rawLogs, ...retention.rawLogs],
    healthy,
    async close() {
      await retention?.close();
      await monitor?.close();
      await fx?.db.drop();
      await writer?.close();
      await gw?.close();
    },
  };
}
