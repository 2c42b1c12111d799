/**
 * npm run bench audit-writer: sustained events/s from Kafka into the chained audit store, beside
 * two ceilings measured in the same run on the same data: a plain COPY of the same rows into an
 * audit-shaped table with the same indexes, and KafkaJS consuming the topic doing nothing.
 * Results: bench/results/audit-writer.md.
 */
import { startTelemetry } from '@vigil/telemetry/register';
startTelemetry('bench');
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import winston from 'winston';
import { createEvent, dlqTopic, type EventEnvelope } from '@vigil/contracts';
import { createKafka, EventProducer } from '@vigil/kafka';
import { createTopics, deleteTopics, kafkaBrokers, uniqueTopic, waitFor } from '@vigil/testing';
import { rawConsumeRate } from './ceilings';
import { LOAD_AT_START, round, writeResult } from './figures';
import { startApp } from '../test/support/apps';

const N = Number(process.env.BENCH_EVENTS ?? 200000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);

function event(i: number): EventEnvelope {
  return createEvent('FAILED_AUTH_LOGIN', {
    producer: 'auth-gateway',
    subject: { username: `user${i % 100000}@example.com` },
    source: {
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
    },
    outcome: 'failure',
    reason: 'invalid_credentials',
    requestId: `req-${i}`,
    attributes: { attemptCount: 1 + (i % 5), repeated: false },
  }) as EventEnvelope;
}

async function main(): Promise<void> {
  const topic = uniqueTopic('bench.auth');
  await createTopics([topic, dlqTopic(topic)], PARTITIONS);
  const producer = new EventProducer(createKafka({ brokers: kafkaBrokers(), clientId: 'bench' }), {
    logger: winston.createLogger({ silent: true }),
  });
  await producer.connect();
  let t0 = Date.now();
  for (let i = 0; i < N; i += 10000)
    await producer.publish(
      topic,
      Array.from({ length: Math.min(10000, N - i) }, (_, j) => event(i + j)),
    );
  const produceRate = N / ((Date.now() - t0) / 1000);
  await producer.disconnect();
  console.error(`[bench] produced ${N} events (${produceRate.toFixed(0)}/s)`);

  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-keys-'));
  const app = await startApp('audit-writer', {
    AUDIT_TOPICS: topic,
    KAFKA_GROUP_ID: `bench-writer-${topic}`,
    AUDIT_KEY_DIR: keyDir,
    LOG_LEVEL: 'warn',
    AUDIT_BATCH_MAX: process.env.BENCH_BATCH ?? '5000',
  });
  const db = new Client({ connectionString: (await import('@vigil/testing')).testDatabaseUrl() });
  await db.connect();
  const s = `"${app.schema}"`;
  const countRows = async () =>
    Number((await db.query(`SELECT coalesce(sum(position),0) n FROM ${s}.chain_heads`)).rows[0].n);
  await waitFor(async () => (await countRows()) > 0, { timeoutMs: 60000, intervalMs: 20 });
  t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const startRows = await countRows();
  await waitFor(async () => (await countRows()) >= N, { timeoutMs: 600000, intervalMs: 50 });
  const writerSeconds = (Date.now() - t0) / 1000;
  const writerRate = (N - startRows) / writerSeconds;
  const cpu = process.cpuUsage(cpu0);
  const writerCpu = (cpu.user + cpu.system) / 1e6 / writerSeconds;
  await app.app.close();
  console.error(
    `[bench] writer: ${writerRate.toFixed(0)} events/s, node process CPU ${(writerCpu * 100).toFixed(0)}% of one core`,
  );

  // Ceiling 1: COPY of the very same rows into an audit-shaped table with the same indexes.
  // Same shape as audit_logs: partitioned by day, the same keys and indexes, minus the chain work.
  await db.query(
    `CREATE TABLE ${s}.copy_baseline (LIKE ${s}.audit_logs INCLUDING DEFAULTS, PRIMARY KEY (id, created_at), UNIQUE (event_id, created_at)) PARTITION BY RANGE (created_at)`,
  );
  await db.query(`CREATE TABLE ${s}.copy_baseline_all PARTITION OF ${s}.copy_baseline DEFAULT`);
  for (const cols of [
    'action, created_at',
    'user_id, created_at',
    'ip_address, created_at',
    'chain_id, chain_seq',
  ]) {
    await db.query(`CREATE INDEX ON ${s}.copy_baseline (${cols})`);
  }
  const dump = new PassThrough();
  const chunks: Buffer[] = [];
  dump.on('data', (c: Buffer) => chunks.push(c));
  await pipeline(db.query(copyTo(`COPY (SELECT * FROM ${s}.audit_logs) TO STDOUT`)), dump);
  const load = new Client({ connectionString: (await import('@vigil/testing')).testDatabaseUrl() });
  await load.connect();
  t0 = Date.now();
  const sink = load.query(copyFrom(`COPY ${s}.copy_baseline FROM STDIN`));
  const src = new PassThrough();
  const done = pipeline(src, sink);
  for (const c of chunks) src.write(c);
  src.end();
  await done;
  const copyRate = N / ((Date.now() - t0) / 1000);
  await load.end();
  console.error(`[bench] COPY: ${copyRate.toFixed(0)} rows/s`);

  // Ceiling 2: KafkaJS consuming the same topic and doing nothing with it.
  const consumeRate = await rawConsumeRate(topic, N);
  console.error(`[bench] raw consume: ${consumeRate.toFixed(0)} msgs/s`);

  await db.query(`DROP SCHEMA ${s} CASCADE`);
  await db.end();
  await deleteTopics([topic, dlqTopic(topic)]);

  const md = `# audit-writer benchmark

Run: \`npm run bench audit-writer\` (BENCH_EVENTS=${N}, load average ${LOAD_AT_START[0].toFixed(2)} at the start, ${PARTITIONS} partitions, AUDIT_BATCH_MAX=${process.env.BENCH_BATCH ?? '5000'}), ${new Date().toISOString()},
${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, PostgreSQL on 127.0.0.1, Kafka 3.9.1 (KRaft, one node).

| what | rate | vs COPY |
|---|---|---|
| **audit-writer: Kafka → validated, hash-chained rows (COPY in one transaction with chain head + offsets)** | **${writerRate.toFixed(0)} events/s** (writer process at ${(writerCpu * 100).toFixed(0)}% of one core) | **${(writerRate / copyRate).toFixed(2)}×** |
| ceiling: plain COPY of the same rows into a table with the same indexes | ${copyRate.toFixed(0)} rows/s | 1.00× |
| ceiling: KafkaJS consuming the same topic, no processing | ${consumeRate.toFixed(0)} msgs/s | — |
| producing the events (idempotent producer, acks=all) | ${produceRate.toFixed(0)} events/s | — |

The writer ran in-process with the benchmark driver idle (events were produced beforehand), so it
had one core and PostgreSQL the other. Targets (DESIGN.md): ≥ 20,000 events/s and ≥ 0.5× COPY.

What limits it: the writer's one Node thread is saturated (CPU column above). Per event, measured
with micro-benchmarks and \`--cpu-prof\` on 2026-11-23: KafkaJS fetch decoding ≈ 8 µs, contract
validation ≈ 4.5 µs (the compiled validator; class-validator alone was 35 µs), the chain ≈ 10 µs
(four SHA-256: three salted PII digests and the row hash, over a canonical encoding), COPY
encoding ≈ 2 µs, and garbage collection ≈ 17 % of the profile. PostgreSQL is not the bottleneck
(COPY takes the same rows several times faster). The way past one core is a worker thread per
partition: chains are per partition, so they hash independently.
`;
  writeFileSync(path.join(__dirname, 'results/audit-writer.md'), md);
  const ratio = writerRate / copyRate;
  writeResult('audit-writer', [
    {
      id: 'audit-writer.vs-copy',
      what: `audit-writer: Kafka → validated, hash-chained rows (backlog of ${N} events, one instance)`,
      value: round(writerRate, 0),
      unit: 'events/s',
      ceiling: round(copyRate, 0),
      ceilingWhat: 'plain COPY of the same rows into a table with the same indexes',
      ceilingUnit: 'rows/s',
      ratio: round(ratio),
      target: '≥ 0.5× COPY of the same rows with the same indexes',
      met: ratio >= 0.5,
      limit: `${writerCpu < 0.9 ? `in this run the writer got only ${(writerCpu * 100).toFixed(0)}% of a core (the machine was busy), so it ran below its own ceiling and COPY was slowed too: the ratio is not a quiet machine's (quiet, 2026-11-23: 100% of a core, 0.36×). ` : ''}On a core of its own the writer's one Node thread saturates: per event KafkaJS decoding ≈ 8 µs, contract validation ≈ 4.5 µs, the chain ≈ 10 µs (four SHA-256 over a canonical encoding), COPY encoding ≈ 2 µs, GC ≈ 17% of the profile; PostgreSQL is not the bottleneck (raw consume ${round(consumeRate, 0)} msgs/s)`,
      ...(ratio >= 0.5
        ? {}
        : {
            close:
              'validation and chain hashing on a worker thread per partition (chains are per partition, so they hash independently), the main thread left with fetch and COPY; on 2 cores PostgreSQL and Kafka take the second core, so the gain needs a third',
          }),
    },
  ]);
  console.log(md);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
