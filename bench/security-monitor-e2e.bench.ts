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
 *  3. Scale-out: the same backlog on a BENCH_SCALE_PARTITIONS-partition topic, read by one and by
 *     two monitor processes in one consumer group, alternating for BENCH_SCALE_ROUNDS rounds
 *     (bench/monitor-scale-out.ts): the second's gain, best round of each.
 * Results: bench/results/security-monitor-e2e.md and .json. Targets (issue 18 item 4): >= 0.3x a
 * raw consume of the same topic with one instance, the gain from a second shown; detection
 * p99 < 250 ms at 5,000 events/s, none missed (issue 5's 500 ms is superseded).
 */
import { startTelemetry } from '@vigil/telemetry/register';
startTelemetry('bench');
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import winston from 'winston';
import { createEvent, decodeEvent, type EventOf } from '@vigil/contracts';
import { createKafka, EventProducer } from '@vigil/kafka';
import { kafkaBrokers, testDatabaseUrl, testKafka, waitFor } from '@vigil/testing';
import { rawConsumeRate } from './ceilings';
import { LOAD_AT_START, round, writeResult } from './figures';
import { scaleOut, type ScaleOutRun } from './monitor-scale-out';
import { caughtUp, lcg, mixed, monitorEnv, topics } from './monitor-traffic';
import { startApp, type TestApp } from '../test/support/apps';
import { DetectionService } from '../apps/security-monitor/src/detection/detection.service';

const N = Number(process.env.BENCH_EVENTS ?? 200_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 5000);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 30);
const SCALE_PARTITIONS = Number(process.env.BENCH_SCALE_PARTITIONS ?? 4);
const SCALE_ROUNDS = Number(process.env.BENCH_SCALE_ROUNDS ?? 2);
const LATENCY_TARGET_MS = 250;

const quiet = winston.createLogger({ silent: true });
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function throughput(db: Client) {
  const t = await topics('tput', PARTITIONS);
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
  const t = await topics('lat', PARTITIONS);
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
  const load = LOAD_AT_START[0];
  const db = new Client({ connectionString: testDatabaseUrl() });
  await db.connect();
  const tp = await throughput(db);
  console.error(`[bench] throughput ${tp.rate.toFixed(0)} events/s`);
  // Alternating rounds (1, 2, 1, 2 …) on a shared machine; each side's best round is its figure.
  const rounds: ScaleOutRun[] = [];
  for (let r = 0; r < SCALE_ROUNDS; r++)
    for (const instances of [1, 2]) {
      rounds.push(await scaleOut(db, instances, N, SCALE_PARTITIONS));
      console.error(
        `[bench] scale-out: ${instances} process(es) ${rounds[rounds.length - 1].rate.toFixed(0)} events/s`,
      );
    }
  const best = (k: number) =>
    rounds.filter((x) => x.instances === k).reduce((a, b) => (b.rate > a.rate ? b : a));
  const one = best(1);
  const two = best(2);
  const lat = await latency();
  await db.end();
  const row = (name: string, xs: number[]) =>
    `| ${name} | ${xs.length} | ${pct(xs, 50)} ms | ${pct(xs, 99)} ms | ${Math.max(...xs)} ms |`;
  const all = [...lat.user, ...lat.ip];
  const ratio = tp.steady / tp.raw;
  const gain = two.rate / one.rate;
  const p99 = pct(all, 99);
  const latencyMet = p99 < LATENCY_TARGET_MS && lat.missing === 0 && lat.achieved >= 0.95 * RATE;
  const md = `# security-monitor end-to-end benchmark

Run: \`npm run bench security-monitor-e2e\`, ${new Date().toISOString()}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()},
Node ${process.version}; load average ${load.toFixed(2)} at the start (shared machine). Throughput and latency:
one instance in-process (the benchmark's producer and alert reader share its event loop); scale-out: monitor
processes (main.ts). Real Kafka 3.9 broker and PostgreSQL on the same machine, ${PARTITIONS} partitions per
topic (scale-out: ${SCALE_PARTITIONS}), all default rules.

## Throughput: backlog of ${N.toLocaleString('en')} events, cold start until every stage's state covers it

| what | result |
|---|---|
| ceiling: KafkaJS consuming the same topic, doing nothing | ${Math.round(tp.raw).toLocaleString('en')} events/s |
| monitor, first event evaluated -> every stage caught up | **${Math.round(tp.steady).toLocaleString('en')} events/s** (${tp.steadySeconds.toFixed(1)} s, ${ratio.toFixed(2)}× the ceiling) |
| monitor, cold start (migrations, three consumer groups joining) included | ${Math.round(tp.rate).toLocaleString('en')} events/s (${tp.seconds.toFixed(1)} s, of which ${tp.startSeconds.toFixed(1)} s before the first event) |
| events re-keyed onto the IP repartition topic | ${tp.repartitioned.toLocaleString('en')} (${((100 * tp.repartitioned) / N).toFixed(0)}%) |
| saved state at the end (all partitions, all stages) | ${tp.stateMb.toFixed(1)} MiB |
| CPU of this process during the run | ${tp.cpuSeconds.toFixed(1)} s |

Target (issue 18): >= 0.3× a raw consume of the same topic with one instance: **${ratio >= 0.3 ? 'met' : 'not met'}** (${ratio.toFixed(2)}×; state is saved at most once a second per partition, MONITOR_STATE_SAVE_MS).

## Scale-out: one, then two monitor processes in one consumer group (${SCALE_PARTITIONS} partitions, the same ${N.toLocaleString('en')}-event backlog)

| instances | events/s (first saved state -> every stage caught up) | seconds | spawn -> caught up |
|---|---|---|---|
${rounds.map((x, i) => `| ${x.instances} (round ${Math.floor(i / 2) + 1}) | ${Math.round(x.rate).toLocaleString('en')} | ${x.seconds.toFixed(1)} s | ${x.coldSeconds.toFixed(1)} s |`).join('\n')}

Gain from the second instance (best round of each, rounds alternating): **${gain.toFixed(2)}×**. The machine has ${os.cpus().length} cores, shared with the broker,
PostgreSQL and this bench; the global stage (one partials partition) runs on one instance only.

## Detection latency at ${RATE.toLocaleString('en')} events/s (achieved ${Math.round(lat.achieved).toLocaleString('en')}/s for ${LATENCY_SECONDS} s)

Probe alerts, triggering event sent -> alert read from the alerts topic:

| probe | n | p50 | p99 | max |
|---|---|---|---|---|
${row('per-user brute force (user stage)', lat.user)}
${row('per-IP token failures (via the IP repartition stage)', lat.ip)}
${row('all', all)}

Probes without an alert within 60 s: ${lat.missing} of ${lat.probes}.
Target (issue 18): p99 < ${LATENCY_TARGET_MS} ms at 5,000 events/s, none missed: **${latencyMet ? 'met' : 'not met'}**.
`;
  writeFileSync(path.join(__dirname, 'results', 'security-monitor-e2e.md'), md);
  console.log(md);
  const limit =
    'one Node thread per instance does everything: KafkaJS fetch decoding, contract validation, the rule engine (31 rules), re-keying onto the IP repartition topic, and state saves to PostgreSQL; the raw consume does only the first';
  writeResult('security-monitor-e2e', [
    {
      id: 'monitor.e2e-vs-raw',
      what: `security monitor end to end, one instance, backlog of ${N} events (first event evaluated → every stage caught up)`,
      value: round(tp.steady, 0),
      unit: 'events/s',
      ceiling: round(tp.raw, 0),
      ceilingWhat: 'KafkaJS consuming the same topic, doing nothing',
      ratio: round(ratio),
      target: '≥ 0.3× a raw consume of the same topic with one instance',
      met: ratio >= 0.3,
      limit,
      ...(ratio >= 0.3
        ? {}
        : {
            close:
              'fewer passes per event on the one thread: decode and validate once for all three stages, batch state saves, a cheaper engine (the engine bench: 200k events/s target on one core); beyond one core, more instances (below)',
          }),
    },
    {
      id: 'monitor.second-instance',
      what: `two monitor processes in one consumer group against one (${SCALE_PARTITIONS} partitions, ${N} events; best of ${SCALE_ROUNDS} alternating rounds each: ${rounds.map((x) => `${x.instances}: ${Math.round(x.rate)}`).join(', ')} events/s)`,
      value: round(two.rate, 0),
      unit: 'events/s',
      ceiling: round(one.rate, 0),
      ceilingWhat: 'one monitor process, same backlog, same method',
      ratio: round(gain),
      target: 'the gain from a second instance shown',
      met: null,
      limit: `${os.cpus().length} cores shared by both instances, the broker and PostgreSQL; the global stage (one partials partition) is on one instance`,
    },
    {
      id: 'monitor.detection-p99',
      what: `detection latency p99, probe's triggering event sent → alert read from the alerts topic, at ${Math.round(lat.achieved)} events/s for ${LATENCY_SECONDS} s (${lat.probes} probes, ${lat.missing} missed)`,
      value: p99,
      unit: 'ms',
      target: `p99 < ${LATENCY_TARGET_MS} ms at 5,000 events/s, none missed`,
      met: latencyMet,
      limit:
        'likely (not profiled): the fetch wait and batch size of the input consumer, the per-IP probes crossing the repartition topic (a produce and a second fetch), and the shared event loop with the background traffic',
      ...(latencyMet
        ? {}
        : {
            close:
              'a core for the monitor: on 2026-11-23 at load 2.0 the same probes had p99 131 ms and max 205 ms; beyond that (not measured here) smaller batches under backlog (MONITOR_BATCH_MAX) and a shorter fetch wait on the repartition consumer',
          }),
    },
  ]);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
