/**
 * npm run bench checkpoint: how long until an event is covered by a published, signed checkpoint.
 * Events are published at a steady BENCH_RATE events/s for BENCH_SECONDS through the real
 * audit-writer (in-process, AUDIT_CHECKPOINT_INTERVAL_MS at its default); a witness consumer reads
 * audit.checkpoints.v1 as an auditor would. For each event: the time from its publish to the first
 * checkpoint seen on the topic whose chain is the event's row's chain and whose position is at or
 * past the row's (the coverage test/e2e/login-to-checkpoint.test.ts reads). Target (issue 18
 * item 4): covered within 10 s at p99. Results: bench/results/checkpoint.md and .json.
 */
import { startTelemetry } from '@vigil/telemetry/register';
startTelemetry('bench');
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import winston from 'winston';
import { createEvent, decodeEvent, dlqTopic, Topics, type EventEnvelope } from '@vigil/contracts';
import { createKafka, EventProducer } from '@vigil/kafka';
import {
  createTopics,
  deleteTopics,
  kafkaBrokers,
  testDatabaseUrl,
  testKafka,
  uniqueTopic,
  waitFor,
} from '@vigil/testing';
import { startApp } from '../test/support/apps';
import { LOAD_AT_START, machine, writeResult } from './figures';

const RATE = Number(process.env.BENCH_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);
const TICK_MS = 100;
const TARGET_MS = 10_000;

interface Seen {
  chainId: string;
  position: number;
  signedAt: number;
  seenAt: number;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function event(i: number): EventEnvelope {
  return createEvent('FAILED_AUTH_LOGIN', {
    producer: 'auth-gateway',
    subject: { username: `user${i % 10000}@example.com` },
    source: { ip: `10.9.${(i >> 8) & 255}.${i & 255}`, userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' },
    outcome: 'failure',
    reason: 'invalid_credentials',
    requestId: `req-cp-${i}`,
    attributes: { attemptCount: 1, repeated: false },
  }) as EventEnvelope;
}

async function main(): Promise<void> {
  const topic = uniqueTopic('bench.cp');
  await createTopics([topic, dlqTopic(topic)], PARTITIONS);

  // The witness: every checkpoint of this run's chains, with when it was seen on the topic.
  const seen: Seen[] = [];
  const witness = testKafka('bench-cp-witness').consumer({
    groupId: `bench-cp-${topic}`,
    maxWaitTimeInMs: 50,
  });
  const joined = new Promise((r) => witness.on(witness.events.GROUP_JOIN, r));
  await witness.connect();
  await witness.subscribe({ topic: Topics.AUDIT_CHECKPOINTS, fromBeginning: false });
  await witness.run({
    eachMessage: async ({ message }) => {
      const d = decodeEvent(message.value);
      if (!d.ok || d.event.type !== 'AUDIT_CHECKPOINT') return;
      const cp = d.event.attributes;
      if (!cp.chainId.startsWith(`${topic}:`)) return;
      seen.push({
        chainId: cp.chainId,
        position: cp.position,
        signedAt: Date.parse(cp.signedAt),
        seenAt: Date.now(),
      });
    },
  });
  await joined;

  const writer = await startApp('audit-writer', {
    AUDIT_TOPICS: topic,
    KAFKA_GROUP_ID: `bench-cp-writer-${topic}`,
    AUDIT_KEY_DIR: mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-keys-')),
    LOG_LEVEL: 'warn',
  });
  const interval = writer.config.auditCheckpointIntervalMs;
  const db = new Client({ connectionString: testDatabaseUrl() });
  await db.connect();
  const s = `"${writer.schema}"`;
  const producer = new EventProducer(createKafka({ brokers: kafkaBrokers(), clientId: 'bench-cp' }), {
    logger: winston.createLogger({ silent: true }),
  });
  await producer.connect();
  try {
    // Warm-up: the writer's group joined and every partition's chain opened before the clock starts.
    await producer.publish(
      topic,
      Array.from({ length: 60 }, (_, i) => event(1_000_000 + i)),
    );
    await waitFor(
      async () =>
        Number((await db.query(`SELECT count(*)::int n FROM ${s}.chain_heads`)).rows[0].n) >= PARTITIONS,
      { timeoutMs: 60_000, intervalMs: 100, what: 'every chain opened' },
    );

    const sentAt = new Map<string, number>();
    const perTick = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
    const ticks = Math.round((SECONDS * 1000) / TICK_MS);
    const started = Date.now();
    let n = 0;
    for (let k = 0; k < ticks; k++) {
      const batch = Array.from({ length: perTick }, () => event(n++));
      const at = Date.now();
      for (const e of batch) sentAt.set(e.id, at);
      await producer.publish(topic, batch);
      const ahead = started + (k + 1) * TICK_MS - Date.now();
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
    const achieved = sentAt.size / ((Date.now() - started) / 1000);
    console.error(`[bench] published ${sentAt.size} events at ${achieved.toFixed(0)}/s`);

    const ids = [...sentAt.keys()];
    const rows = await waitFor(
      async () => {
        const r = await db.query(
          `SELECT event_id::text AS id, chain_id, chain_seq::int AS seq FROM ${s}.audit_logs WHERE event_id = ANY($1::uuid[])`,
          [ids],
        );
        return r.rows.length === ids.length
          ? (r.rows as Array<{ id: string; chain_id: string; seq: number }>)
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'every event stored' },
    );
    const last = new Map<string, number>();
    for (const r of rows) last.set(r.chain_id, Math.max(last.get(r.chain_id) ?? 0, r.seq));
    await waitFor(
      () => [...last].every(([c, seq]) => seen.some((cp) => cp.chainId === c && cp.position >= seq)),
      { timeoutMs: 3 * interval + 30_000, intervalMs: 200, what: 'every row covered by a checkpoint' },
    );

    const toSeen: number[] = [];
    const toSigned: number[] = [];
    let uncovered = 0;
    for (const r of rows) {
      const cp = seen.find((c) => c.chainId === r.chain_id && c.position >= r.seq);
      if (!cp) {
        uncovered++;
        continue;
      }
      toSeen.push(cp.seenAt - sentAt.get(r.id)!);
      toSigned.push(cp.signedAt - sentAt.get(r.id)!);
    }
    toSeen.sort((a, b) => a - b);
    toSigned.sort((a, b) => a - b);
    const p99 = pct(toSeen, 99);
    const met = p99 <= TARGET_MS && uncovered === 0;
    const m = machine();
    const md = `# checkpoint coverage benchmark

Run: \`npm run bench checkpoint\` (BENCH_RATE=${RATE}, BENCH_SECONDS=${SECONDS}, ${PARTITIONS} partitions), ${new Date().toISOString()},
${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}; load average ${LOAD_AT_START[0].toFixed(2)} at the start (shared machine).
The audit-writer in-process (the bench's producer and witness share its event loop; at this rate they are light),
AUDIT_CHECKPOINT_INTERVAL_MS=${interval} (the default), real Kafka and PostgreSQL on the same machine.

${sentAt.size.toLocaleString('en')} events published at ${achieved.toFixed(0)}/s; ${seen.length} checkpoints of this run's ${last.size} chains seen
on ${Topics.AUDIT_CHECKPOINTS}; events never covered: ${uncovered}.

| from the event's publish to … | p50 | p99 | max |
|---|---|---|---|
| **the first covering checkpoint seen on ${Topics.AUDIT_CHECKPOINTS} by a witness** | ${pct(toSeen, 50)} ms | **${p99} ms** | ${toSeen[toSeen.length - 1]} ms |
| that checkpoint's signedAt | ${pct(toSigned, 50)} ms | ${pct(toSigned, 99)} ms | ${toSigned[toSigned.length - 1]} ms |

Target (issue 18 item 4): covered by a published signed checkpoint within 10 s at p99: **${met ? 'met' : 'not met'}**.

What limits it: the signing interval. A round signs every chain's head every ${interval / 1000} s, so a row waits
for the next round after it lands: uniformly 0-${interval / 1000} s, plus ingest (fetch, batch, COPY) and the
round's own signing, storing and publishing. The p99 is therefore about 0.99 × the interval plus the ingest
and publish time; at the default interval it sits at the target's edge.
`;
    writeFileSync(path.join(__dirname, 'results', 'checkpoint.md'), md);
    console.log(md);
    writeResult('checkpoint', [
      {
        id: 'checkpoint.coverage-p99',
        what: `event published → first covering signed checkpoint seen on ${Topics.AUDIT_CHECKPOINTS}, p99 (${achieved.toFixed(0)} events/s for ${SECONDS} s)`,
        value: p99,
        unit: 'ms',
        target: '≤ 10 s at p99, measured',
        met,
        limit: `the signing interval (AUDIT_CHECKPOINT_INTERVAL_MS=${interval}, the default): a row waits up to one interval for the next round, so p99 ≈ 0.99 × interval + ingest + publish (p50 ${pct(toSeen, 50)} ms, max ${toSeen[toSeen.length - 1]} ms, ${uncovered} never covered)`,
        ...(met
          ? {}
          : {
              close:
                'a default interval of 8 s (p99 ≈ 8 s + ingest), or a round started as soon as a commit lands when the last round is older than the interval minus a margin; signing itself takes milliseconds',
            }),
      },
    ]);
  } finally {
    await producer.disconnect();
    await witness.disconnect();
    await db.end();
    await writer.close();
    await deleteTopics([topic, dlqTopic(topic)]).catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
