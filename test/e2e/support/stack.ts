/**
 * The three HTTP services in one test process, wired as in production: the auth-gateway (real
 * PostgreSQL schema, its own auth topic), and the audit-writer and security-monitor verifying its
 * tokens against its live JWKS and reading its auth events (their revocation deny-lists). With
 * `detection`, the monitor also detects on those events and the gateway takes the monitor's
 * actions (one auth topic, one actions topic, as deployed).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { dlqTopic } from '@vigil/contracts';
import { createTopics, waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../../support/apps';
import { startGateway, type Gateway } from '../../auth-gateway/support/gateway';
import { bootMonitor, monitorFixture, type MonitorApp } from '../../security-monitor/support';
import { adminToken, createUser, ipFor, login } from '../../auth-gateway/support/http';

export type MonitorFixture = Awaited<ReturnType<typeof monitorFixture>>;

export interface StackOptions {
  /** The monitor detects on the gateway's auth events, and the gateway applies the monitor's actions. */
  detection?: boolean;
  gatewayEnv?: Record<string, string>;
  monitorEnv?: Record<string, string>;
  /** Runs once the monitor's topics and rules file exist, before any service starts. */
  before?: (fx: MonitorFixture) => Promise<void>;
}

export interface Stack {
  gw: Gateway;
  writer: TestApp;
  monitor: MonitorApp;
  /** The monitor's topics, schema and rules file. */
  fx: MonitorFixture;
  /** The topics the gateway writes its auth events to and takes security actions from. */
  topics: { auth: string; actions: string };
  admin: string;
  /** The writer's settings, to start another instance (a restart) reading the same topic. */
  writerEnv: Record<string, string>;
  /** Creates a user with `roles` and logs it in (a fresh session per call of `session`). */
  user(
    name: string,
    roles: string[],
  ): Promise<{
    id: string;
    /** The user's password (every stack user has the same one). */
    password: string;
    session(): Promise<{ access: string; refresh: string }>;
  }>;
  close(): Promise<void>;
}

const PASSWORD = 'Quiet-Harbor-Lantern-42';
let ips = 0;

export async function startStack(name: string, opts: StackOptions = {}): Promise<Stack> {
  const fx = await monitorFixture(name);
  await opts.before?.(fx);
  const gw = await startGateway({
    env: {
      ...(opts.detection
        ? { KAFKA_TOPIC_AUTH_EVENTS: fx.input, KAFKA_TOPIC_SECURITY_ACTIONS: fx.actions }
        : {}),
      ...opts.gatewayEnv,
    },
  });
  const topics = opts.detection ? { auth: fx.input, actions: fx.actions } : gw.topics;
  await gw.app.listen(0, '127.0.0.1');
  const jwks = `${(await gw.app.getUrl()).replace('[::1]', '127.0.0.1')}/.well-known/jwks.json`;
  if (!opts.detection) await createTopics([topics.auth, dlqTopic(topics.auth)], 3).catch(() => undefined);
  const writerEnv = {
    AUDIT_TOPICS: topics.auth,
    AUTH_EVENTS_TOPIC: topics.auth,
    KAFKA_GROUP_ID: `${name}-writer-${topics.auth}`,
    AUTH_JWKS_URL: jwks,
    AUDIT_KEY_DIR: mkdtempSync(path.join(os.tmpdir(), `vigil-${name}-keys-`)),
  };
  const writer = await startApp('audit-writer', writerEnv);
  const monitor = await bootMonitor(fx, {
    AUTH_EVENTS_TOPIC: topics.auth,
    AUTH_JWKS_URL: jwks,
    ...opts.monitorEnv,
  });
  for (const [what, server] of [
    ['writer', writer.app.getHttpServer()],
    ['monitor', monitor.app.getHttpServer()],
  ] as const) {
    await waitFor(async () => (await request(server).get('/health')).status === 200, {
      timeoutMs: 60000,
      what: `${what} ready (revocation list caught up)`,
    });
  }
  const admin = await adminToken(gw);
  return {
    gw,
    writer,
    monitor,
    fx,
    topics,
    admin,
    writerEnv,
    async user(username, roles) {
      const id = await createUser(gw, admin, { username, password: PASSWORD, roles });
      return {
        id,
        password: PASSWORD,
        async session() {
          const res = await login(gw, username, PASSWORD, ipFor(100 + ips++));
          if (res.status !== 200)
            throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
          return { access: res.body.access_token as string, refresh: res.body.refresh_token as string };
        },
      };
    },
    async close() {
      // The writer and the monitor do not depend on each other: they stop side by side.
      await Promise.all([monitor?.close().then(() => fx.db.drop()), writer?.close()]);
      await gw?.close();
    },
  };
}
