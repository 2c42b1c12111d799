/**
 * The security-monitor end-to-end bench's traffic and topics: the engine bench's mix of events
 * (100,000 users, 10,000 IPs) and a monitor's five topics, for the throughput, scale-out and
 * latency runs (bench/security-monitor-e2e.bench.ts).
 */
import type { Client } from 'pg';
import { createEvent, dlqTopic, type EventEnvelope } from '@vigil/contracts';
import { createTopics, uniqueTopic } from '@vigil/testing';
import { stagesCaughtUp } from '../test/security-monitor/support';

const USERS = 100_000;
const IPS = 10_000;

const ipOf = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

/** The engine benchmark's mix (80% logins, 5% failures, 8% refreshes, 3% token failures, 2% 429s, 1% 5xx, 1% 403s). */
export function mixed(at: Date, rnd: () => number): EventEnvelope {
  const u = Math.floor(rnd() * USERS);
  const user = `u-${u}`;
  const ip = ipOf(rnd() < 0.9 ? u % IPS : Math.floor(rnd() * IPS));
  const r = rnd();
  const common = { producer: 'auth-gateway', occurredAt: at, source: { ip } };
  if (r < 0.05)
    return createEvent('FAILED_AUTH_LOGIN', {
      ...common,
      subject: { username: `${user}@example.com` },
      outcome: 'failure',
      reason: 'invalid_credentials',
      attributes: { repeated: false },
    });
  if (r < 0.85)
    return createEvent('AUTH_LOGIN', {
      ...common,
      subject: { userId: user },
      outcome: 'success',
      attributes: {},
    });
  if (r < 0.93)
    return createEvent('TOKEN_REFRESH', {
      ...common,
      subject: { userId: user },
      outcome: 'success',
      attributes: { familyId: `f-${user}` },
    });
  if (r < 0.96)
    return createEvent('TOKEN_VALIDATION_FAILED', {
      ...common,
      subject: { username: 'anonymous' },
      outcome: 'failure',
      attributes: { failure: 'expired' },
    });
  if (r < 0.98)
    return createEvent('RATE_LIMITED', {
      ...common,
      subject: { userId: user },
      outcome: 'denied',
      attributes: { route: '/api/v1/auth/token', scope: 'ip', retryAfterSeconds: 30 },
    });
  if (r < 0.99)
    return createEvent('SERVER_ERROR', {
      ...common,
      subject: { username: 'someone' },
      outcome: 'error',
      attributes: { route: '/api/v1/auth/token', method: 'POST', status: 503 },
    });
  return createEvent('ACCESS_DENIED', {
    ...common,
    subject: { userId: user },
    outcome: 'denied',
    attributes: { route: '/api/v1/admin', method: 'GET', requiredRoles: ['admin'] },
  });
}

export function lcg(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

export type MonitorTopics = Awaited<ReturnType<typeof topics>>;

export async function topics(name: string, partitions: number) {
  const t = {
    input: uniqueTopic(`bench.${name}.auth`),
    alerts: uniqueTopic(`bench.${name}.alerts`),
    actions: uniqueTopic(`bench.${name}.actions`),
    repartition: uniqueTopic(`bench.${name}.by-ip`),
    partials: uniqueTopic(`bench.${name}.partials`),
  };
  await createTopics(
    [t.input, dlqTopic(t.input), t.alerts, t.actions, t.repartition, dlqTopic(t.repartition)],
    partitions,
  );
  await createTopics([t.partials, dlqTopic(t.partials)], 1);
  return t;
}

export const monitorEnv = (t: MonitorTopics, extra: Record<string, string> = {}) => ({
  MONITOR_INPUT_TOPIC: t.input,
  MONITOR_ALERTS_TOPIC: t.alerts,
  MONITOR_ACTIONS_TOPIC: t.actions,
  MONITOR_REPARTITION_TOPIC: t.repartition,
  MONITOR_PARTIALS_TOPIC: t.partials,
  KAFKA_GROUP_ID: `bench-monitor-${t.input}`,
  LOG_LEVEL: 'warn',
  ...extra,
});

export const caughtUp = (db: Client, schema: string, t: MonitorTopics) =>
  stagesCaughtUp(db, schema, [t.input, t.repartition, t.partials]);
