/**
 * npm run bench security-monitor-e2e: the monitor through the real broker and PostgreSQL.
 *  1. Throughput: BENCH_EVENTS events (the engine bench's traffic mix: 100,000 users, 10,000 IPs)
 *     already on a BENCH_PARTITIONS-partition input topic; one instance started cold; events/s
 *     until all three stages (user, IP repartition, global partials) have saved state covering
 *     everything. Ceiling beside it, same run: KafkaJS consuming the same topic doing nothing.
 *  2. Detection latency: background traffic at BENCH_RATE events/s with event time = now, and
 *     probe attacks (a per-user brute force, and a per-IP token-failure burst that goes through
 *     the IP repartition stage); latency = the probe's triggering event being sent -> its alert
 *     read back from security.alerts.v1 by a separate consumer.
 * Results: bench/results/security-monitor-e2e.md. Targets (issue 5, DESIGN.md): >= 20,000 events/s
 * end to end; p99 < 500 ms at 5,000 events/s.
 */
import { startTelemetry } from '@vigil/telemetry/register';
startTelemetry('bench');
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import winston from 'winston';
import { createEvent, decodeEvent, dlqTopic, type EventEnvelope, type EventOf } from '@vigil/contracts';
import { createKafka, EventProducer } from '@vigil/kafka';
import { createTopics, kafkaBrokers, testDatabaseUrl, testKafka, uniqueTopic, waitFor } from '@vigil/testing';
import { rawConsumeRate } from './ceilings';
import { stagesCaughtUp } from '../test/security-monitor/support';
import { startApp, type TestApp } from '../test/support/apps';
import { DetectionService } from '../apps/security-monitor/src/detection/detection.service';

const N = Number(process.env.BENCH_EVENTS ?? 200_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 5000);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 30);
const USERS = 100_000;
const IPS = 10_000;

const ipOf = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

/** The engine benchmark's mix (80% logins, 5% failures, 8% refreshes, 3% token failures, 2% 429s, 1% 5xx, 1% 403s). */
function mixed(at: Date, rnd: () => number): EventEnvelope {
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

function lcg(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

const quiet = winston.createLogger({ silent: true });
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function topics(name: string) {
  const t = {
    input: uniqueTopic(`bench.${name}.auth`),
    alerts: uniqueTopic(`bench.${name}.alerts`),
    actions: uniqueTopic(`bench.${name}.actions`),
    repartition: uniqueTopic(`bench.${name}.by-ip`),
    partials: uniqueTopic(`bench.${name}.partials`),
  };
  await createTopics(
    [t.input, dlqTopic(t.input), t.alerts, t.actions, t.repartition, dlqTopic(t.repartition)],
    PARTITIONS,
  );
  await createTopics([t.partials, dlqTopic(t.partials)], 1);
  return t;
}

const monitorEnv = (t: Awaited<ReturnType<typeof topics>>, extra: Record<string, string> = {}) => ({
  MONITOR_INPUT_TOPIC: t.input,
  MONITOR_ALERTS_TOPIC: t.alerts,
  MONITOR_ACTIONS_TOPIC: t.actions,
  MONITOR_REPARTITION_TOPIC: t.repartition,
  MONITOR_PARTIALS_TOPIC: t.partials,
  KAFKA_GROUP_ID: `bench-monitor-${t.input}`,
  LOG_LEVEL: 'warn',
  ...extra,
});

const caughtUp = (db: Client, schema: string, t: Awaited<ReturnType<typeof topics>>) =>
  stagesCaughtUp(db, schema, [t.input, t.repartition, t.partials]);

async function throughput(db: Client) {
  const t = await topics('tput');
  const producer = new EventProducer(createKafka({ brokers: kafkaBrokers(), clientId: 'bench' }), {
    logger: quiet,
  });
  await producer.connect();
  const rnd = lcg(42);
  const end = Date.now() - 60_000;
  const span = 10 * 60_000;
  for (let i = 0; i < N; i += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, N - i) }, (_, j) =>
      mixed(new Date(end - span + Math.floor((span * (i + j)) / N)), rnd),
    );
    await producer.publish(t.input, batch);
  }
  await producer.disconnect();
  console.error(`[bench] ${N} events on ${t.input}`);
  const started = Date.now();
  const app = await startApp(
    'security-monitor',
    monitorEnv(t, {
      MONITOR_IDLE_SECONDS: '3600',
      ...(process.env.BENCH_BATCH ? { MONITOR_BATCH_MAX: process.env.BENCH_BATCH } : {}),
    }),
  );
  const cpu = process.cpuUsage();
  const detection = app.app.get(DetectionService);
  const firstEvaluated = await waitFor(() => (detection.stats().events > 0 ? Date.now() : undefined), {
    timeoutMs: 120_000,
    intervalMs: 20,
    what: 'first event evaluated',
  });
  await waitFor(() => caughtUp(db, app.schema, t), {
    timeoutMs: 900_000,
    intervalMs: 200,
    what: 'all stages caught up',
  });
  const seconds = (Date.now() - started) / 1000;
  const steadySeconds = (Date.now() - firstEvaluated) / 1000;
  const used = process.cpuUsage(cpu);
  const { rows } = await db.query(
    `SELECT topic, count(*)::int AS n, sum(length(state::text))::bigint AS bytes FROM "${app.schema}".partition_state GROUP BY topic`,
  );
  const stateMb = rows.reduce((n, r) => n + Number(r.bytes), 0) / 2 ** 20;
  const repartitioned = (await testKafka('bench-admin')
    .admin()
    .fetchTopicOffsets(t.repartition)
    .catch(() => [])) as Array<{ high: string }>;
  await app.close();
  const raw = await rawConsumeRate(t.input, N);
  return {
    rate: N / seconds,
    seconds,
    steady: N / steadySeconds,
    steadySeconds,
    startSeconds: (firstEvaluated - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    raw,
    stateMb,
    repartitioned: repartitioned.reduce((n, p) => n + Number(p.high), 0),
  };
}

async function latency() {
  const t = await topics('lat');
  const app: TestApp = await startApp(
    'security-monitor',
    monitorEnv(t, { MONITOR_IDLE_SECONDS: '3600', MONITOR_BATCH_MAX: '2000' }),
  );
  const producer = new EventProducer(createKafka({ brokers: kafkaBrokers(), clientId: 'bench-lat' }), {
    logger: quiet,
  });
  await producer.connect();
  const seen = new Map<string, number>();
  const consumer = testKafka('bench-alerts').consumer({
    groupId: `bench-alerts-${t.alerts}`,
    maxWaitTimeInMs: 50,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: t.alerts, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const d = decodeEvent(message.value);
      if (!d.ok) return;
      const a = (d.event as EventOf<'SECURITY_ALERT'>).attributes;
      if (a.status === 'firing' && !seen.has(`${a.ruleId} ${a.key.value}`))
        seen.set(`${a.ruleId} ${a.key.value}`, Date.now());
    },
  });
  // Warm up: the groups settle and the first fetches happen.
  await producer.publish(t.input, [mixed(new Date(), lcg(1))]);
  await new Promise((r) => setTimeout(r, 8000));
  const rnd = lcg(7);
  const probes: Array<{ key: string; sentAt: number }> = [];
  const tickMs = 50;
  const perTick = Math.round((RATE * tickMs) / 1000);
  const ticks = (LATENCY_SECONDS * 1000) / tickMs;
  let sent = 0;
  const started = Date.now();
  for (let k = 0; k < ticks; k++) {
    const now = new Date();
    const batch = Array.from({ length: perTick }, () => mixed(now, rnd));
    sent += batch.length;
    const sends: Array<Promise<unknown>> = [producer.publish(t.input, batch)];
    if (k % 10 === 5) {
      // A user probe: 6 failures (> 5/min fires the per-user warning), the 6th one measured.
      const user = `probe-user-${k}@example.com`;
      const pre = Array.from({ length: 5 }, () =>
        createEvent('FAILED_AUTH_LOGIN', {
          producer: 'auth-gateway',
          occurredAt: now,
          subject: { username: user },
          source: { ip: '192.0.2.1' },
          outcome: 'failure',
          reason: 'invalid_credentials',
          attributes: { repeated: false },
        }),
      );
      await producer.publish(t.input, pre);
      const last = createEvent('FAILED_AUTH_LOGIN', {
        producer: 'auth-gateway',
        occurredAt: new Date(),
        subject: { username: user },
        source: { ip: '192.0.2.1' },
        outcome: 'failure',
        reason: 'invalid_credentials',
        attributes: { repeated: false },
      });
      probes.push({ key: `failed-logins-per-user-1m-warning ${user}`, sentAt: Date.now() });
      sends.push(producer.publish(t.input, [last]));
    }
    if (k % 10 === 0) {
      // An IP probe (through the repartition stage): 6 token failures from a fresh IP (> 5 in 10 min).
      const ip = `172.16.${(k >> 8) & 255}.${k & 255}`;
      const pre = Array.from({ length: 5 }, (_, j) =>
        createEvent('TOKEN_VALIDATION_FAILED', {
          producer: 'auth-gateway',
          occurredAt: now,
          subject: { username: `anon-${k}-${j}` },
          source: { ip },
          outcome: 'failure',
          attributes: { failure: 'bad_signature' },
        }),
      );
      await producer.publish(t.input, pre);
      const last = createEvent('TOKEN_VALIDATION_FAILED', {
        producer: 'auth-gateway',
        occurredAt: new Date(),
        subject: { username: `anon-${k}-last` },
        source: { ip },
        outcome: 'failure',
        attributes: { failure: 'bad_signature' },
      });
      probes.push({ key: `token-validation-failures-per-ip ${ip}`, sentAt: Date.now() });
      sends.push(producer.publish(t.input, [last]));
    }
    await Promise.all(sends);
    const behind = started + (k + 1) * tickMs - Date.now();
    if (behind > 0) await new Promise((r) => setTimeout(r, behind));
  }
  const achieved = sent / ((Date.now() - started) / 1000);
  await waitFor(() => probes.every((p) => seen.has(p.key)), {
    timeoutMs: 60_000,
    what: 'every probe alert',
    intervalMs: 100,
  }).catch(() => undefined);
  await consumer.disconnect();
  await producer.disconnect();
  await app.close();
  const lat = (prefix: string) =>
    probes.filter((p) => p.key.startsWith(prefix) && seen.has(p.key)).map((p) => seen.get(p.key)! - p.sentAt);
  const missing = probes.filter((p) => !seen.has(p.key)).length;
  return {
    achieved,
    user: lat('failed-logins-per-user'),
    ip: lat('token-validation'),
    missing,
    probes: probes.length,
  };
}

async function main(): Promise<void> {
  const load = os.loadavg()[0];
  const db = new Client({ connectionString: testDatabaseUrl() });
  await db.connect();
  const tp = await throughput(db);
  console.error(`[bench] throughput ${tp.rate.toFixed(0)} events/s`);
  const lat = await latency();
  await db.end();
  const row = (name: string, xs: number[]) =>
    `| ${name} | ${xs.length} | ${pct(xs, 50)} ms | ${pct(xs, 99)} ms | ${Math.max(...xs)} ms |`;
  const all = [...lat.user, ...lat.ip];
  const md = `# security-monitor end-to-end benchmark

Run: \`npm run bench security-monitor-e2e\`, ${new Date().toISOString()}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()},
Node ${process.version}; load average ${load.toFixed(2)} at the start (shared machine). One instance
in-process (the benchmark's producer and alert reader share its event loop), real Kafka 3.9 broker
and PostgreSQL on the same machine, ${PARTITIONS} partitions per topic, all default rules.

## Throughput: backlog of ${N.toLocaleString('en')} events, cold start until every stage's state covers it

| what | result |
|---|---|
| ceiling: KafkaJS consuming the same topic, doing nothing | ${Math.round(tp.raw).toLocaleString('en')} events/s |
| monitor, first event evaluated -> every stage caught up | **${Math.round(tp.steady).toLocaleString('en')} events/s** (${tp.steadySeconds.toFixed(1)} s, ${(tp.steady / tp.raw).toFixed(2)}× the ceiling) |
| monitor, cold start (migrations, three consumer groups joining) included | ${Math.round(tp.rate).toLocaleString('en')} events/s (${tp.seconds.toFixed(1)} s, of which ${tp.startSeconds.toFixed(1)} s before the first event) |
| events re-keyed onto the IP repartition topic | ${tp.repartitioned.toLocaleString('en')} (${((100 * tp.repartitioned) / N).toFixed(0)}%) |
| saved state at the end (all partitions, all stages) | ${tp.stateMb.toFixed(1)} MiB |
| CPU of this process during the run | ${tp.cpuSeconds.toFixed(1)} s |

Target: >= 20,000 events/s end to end: **${tp.steady >= 20_000 ? 'met' : 'not met'}** (steady figure; state is saved at most once a second per partition, MONITOR_STATE_SAVE_MS).

## Detection latency at ${RATE.toLocaleString('en')} events/s (achieved ${Math.round(lat.achieved).toLocaleString('en')}/s for ${LATENCY_SECONDS} s)

Probe alerts, triggering event sent -> alert read from the alerts topic:

| probe | n | p50 | p99 | max |
|---|---|---|---|---|
${row('per-user brute force (user stage)', lat.user)}
${row('per-IP token failures (via the IP repartition stage)', lat.ip)}
${row('all', all)}

Probes without an alert within 60 s: ${lat.missing} of ${lat.probes}.
Target: p99 < 500 ms at 5,000 events/s: **${pct(all, 99) < 500 && lat.missing === 0 ? 'met' : 'not met'}**.
`;
  writeFileSync(path.join(__dirname, 'results', 'security-monitor-e2e.md'), md);
  console.log(md);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
