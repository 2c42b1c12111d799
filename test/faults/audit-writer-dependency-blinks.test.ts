// A dependency that blinks is not a bad message (issue 13): with valid events flowing steadily,
// PostgreSQL stopped for 15 s, or the broker stopped for 30 s, mid-stream. Afterwards every event
// is in audit_logs exactly once, nothing reached a DLQ, and every chain verifies. Each suite runs
// its own PostgreSQL server or broker, so the shared ones keep serving the other suites.
import { Client } from 'pg';
import winston from 'winston';
import type { EventEnvelope } from '@vigil/contracts';
import { createKafka, EventProducer } from '@vigil/kafka';
import { kafkaBrokers, waitFor } from '@vigil/testing';
import { loadKeyring } from '../../apps/audit-writer/src/checkpoints/signing-keys';
import { verifyStore } from '../../apps/audit-writer/src/verify/verify-store';
import { failedLogin, writerFixture } from '../audit-writer/support';
import { PgCluster } from '../support/pg-cluster';
import { spawnService, type Spawned, freePort } from '../support/processes';
import { dlqDepth, FAULT_TEST_TIMEOUT_MS, FaultBroker, outage, publishUntilLanded } from './support';

const TOTAL = 10_000;
const quiet = winston.createLogger({ silent: true });

/** Publishes `events` in slices at a steady pace; a slice that fails (broker away) is sent again until it lands. */
async function steadyFlow(
  producer: EventProducer,
  topic: string,
  events: EventEnvelope[],
  perSlice = 200,
  gapMs = 100,
): Promise<number> {
  let resends = 0;
  for (let i = 0; i < events.length; i += perSlice) {
    resends += await publishUntilLanded(producer, topic, events.slice(i, i + perSlice));
    await outage(gapMs);
  }
  return resends;
}

async function rowCounts(db: Client, schema: string): Promise<{ n: number; d: number }> {
  const { rows } = await db.query(
    `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM "${schema}".audit_logs`,
  );
  return rows[0];
}

function writerEnv(
  fx: Awaited<ReturnType<typeof writerFixture>>,
  databaseUrl: string,
  schema: string,
  brokers: string,
): NodeJS.ProcessEnv {
  return {
    ...fx.env,
    DATABASE_URL: databaseUrl,
    DB_SCHEMA: schema,
    KAFKA_BROKERS: brokers,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(42000 + Math.floor(Math.random() * 1000)),
    AUDIT_BATCH_MAX: '500',
    LOG_LEVEL: 'warn',
  };
}

async function stopWriter(w: Spawned | undefined): Promise<void> {
  if (!w || w.child.exitCode !== null) return;
  w.child.kill('SIGTERM');
  await w.exited;
}

describe('audit-writer while a dependency blinks', () => {
  it(
    'seed 000-30, 001-25: PostgreSQL stopped for 15 s mid-stream: 10,000 events, exactly 10,000 rows, none in the DLQ, chains verify',
    async () => {
      const pg = new PgCluster(await freePort(), 'fault-writer');
      await pg.init();
      const fx = await writerFixture('pgblink', 3);
      const schema = 'audit_pgblink';
      const kafka = createKafka({ brokers: kafkaBrokers(), clientId: 'pgblink-test' });
      const producer = new EventProducer(kafka, { logger: quiet });
      await producer.connect();
      const db = new Client({ connectionString: pg.adminUrl });
      let writer: Spawned | undefined;
      try {
        const env = writerEnv(fx, pg.adminUrl, schema, kafkaBrokers().join(','));
        const base = `http://127.0.0.1:${env.HTTP_PORT}`;
        writer = spawnService('audit-writer', env);
        await db.connect();
        await waitFor(
          async () =>
            (await db.query(`SELECT to_regclass('"${schema}".audit_logs') AS t`)).rows[0].t !== null,
          { timeoutMs: 60000, what: 'writer migrated' },
        );
        await db.end();

        const events = Array.from({ length: TOTAL }, (_, i) => failedLogin(i));
        const flow = steadyFlow(producer, fx.auth, events);
        // Stop PostgreSQL once ingest is under way, keep the flow going, start it again 15 s later.
        const probe = new Client({ connectionString: pg.adminUrl });
        await probe.connect();
        const before = await waitFor(
          async () => {
            const { n } = await rowCounts(probe, schema);
            return n > 2000 ? n : undefined;
          },
          { timeoutMs: 60000, intervalMs: 50, what: 'ingest under way' },
        );
        await probe.end();
        await pg.stop();
        const stoppedAt = Date.now();
        const down = outage(15_000);
        // While it is away the writer says so: health degraded, naming the held partitions, and the paused gauge up.
        const seen = await waitFor(
          async () => {
            const health = (await fetch(`${base}/health`)
              .then((r) => r.json())
              .catch(() => undefined)) as
              | { status?: string; failing?: string[]; checks?: Record<string, { detail?: string }> }
              | undefined;
            const metrics = await fetch(`${base}/metrics`)
              .then((r) => r.text())
              .catch(() => '');
            const paused = /^consumer_paused_partitions\{[^}]*\} [1-9]/m.test(metrics);
            return health?.status === 'degraded' &&
              String(health.checks?.['consumer:audit-ingest']?.detail).includes('waiting for a dependency') &&
              paused
              ? health
              : undefined;
          },
          {
            timeoutMs: 14_000,
            intervalMs: 250,
            what: 'degraded health and the paused gauge during the outage',
          },
        );
        expect(seen.failing).toEqual(expect.arrayContaining(['postgres', 'consumer:audit-ingest']));
        await down;
        await pg.start();
        console.log(
          `[fault] PostgreSQL stopped at ${before} rows for ${Date.now() - stoppedAt} ms, then started`,
        );
        await flow;

        const db2 = new Client({ connectionString: pg.adminUrl });
        await db2.connect();
        try {
          await waitFor(async () => (await rowCounts(db2, schema)).n >= TOTAL, {
            timeoutMs: 90000,
            intervalMs: 250,
            what: `${TOTAL} rows`,
          });
          const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
          expect(metrics).toMatch(/^consumer_retry_total\{[^}]*\} [1-9]/m);
          await stopWriter(writer);
          const counts = await rowCounts(db2, schema);
          expect(counts).toEqual({ n: TOTAL, d: TOTAL });
          expect(await dlqDepth([fx.auth, fx.ops])).toBe(0);
          const report = await verifyStore(db2, schema, loadKeyring(fx.keyDir));
          expect(report.chains.flatMap((c) => c.findings)).toEqual([]);
          expect(report).toMatchObject({ ok: true, rows: TOTAL, validRows: TOTAL });
          console.log(
            `[fault] after recovery: ${counts.n} rows (${counts.d} distinct), DLQ 0, ${report.chains.length} chains verified`,
          );
        } finally {
          await db2.end();
        }
        expect(writer.output()).toContain('dependency unavailable; holding the partition and retrying');
      } finally {
        await stopWriter(writer);
        await producer.disconnect();
        await pg.destroy();
      }
    },
    FAULT_TEST_TIMEOUT_MS,
  );

  it(
    'seed 000-30, 001-25: the broker stopped for 30 s mid-stream: 10,000 events, exactly 10,000 rows, none in the DLQ, chains verify',
    async () => {
      const broker = new FaultBroker('fault-writer', 19192);
      await broker.start();
      broker.useForHelpers(); // writerFixture creates its topics on this broker
      const pg = new PgCluster(await freePort(), 'fault-writer-broker');
      await pg.init();
      const kafka = createKafka({ brokers: [broker.brokers], clientId: 'brokerblink-test', retries: 2 });
      const producer = new EventProducer(kafka, { logger: quiet });
      let writer: Spawned | undefined;
      const schema = 'audit_brokerblink';
      try {
        const fx = await writerFixture('brokerblink', 3);
        await producer.connect();
        writer = spawnService('audit-writer', writerEnv(fx, pg.adminUrl, schema, broker.brokers));
        const db = new Client({ connectionString: pg.adminUrl });
        await db.connect();
        try {
          await waitFor(
            async () =>
              (await db.query(`SELECT to_regclass('"${schema}".audit_logs') AS t`)).rows[0].t !== null,
            { timeoutMs: 60000, what: 'writer migrated' },
          );
          const events = Array.from({ length: TOTAL }, (_, i) => failedLogin(i));
          const flow = steadyFlow(producer, fx.auth, events);
          const before = await waitFor(
            async () => {
              const { n } = await rowCounts(db, schema);
              return n > 2000 ? n : undefined;
            },
            { timeoutMs: 60000, intervalMs: 50, what: 'ingest under way' },
          );
          await broker.stop();
          const stoppedAt = Date.now();
          await outage(30_000);
          await broker.start();
          console.log(
            `[fault] broker stopped at ${before} rows for ${Date.now() - stoppedAt} ms, then started`,
          );
          const resends = await flow;

          await waitFor(async () => (await rowCounts(db, schema)).n >= TOTAL, {
            timeoutMs: 120000,
            intervalMs: 250,
            what: `${TOTAL} rows`,
          });
          await stopWriter(writer);
          const counts = await rowCounts(db, schema);
          expect(counts).toEqual({ n: TOTAL, d: TOTAL });
          expect(await dlqDepth([fx.auth, fx.ops])).toBe(0);
          const report = await verifyStore(db, schema, loadKeyring(fx.keyDir));
          expect(report.chains.flatMap((c) => c.findings)).toEqual([]);
          expect(report).toMatchObject({ ok: true, rows: TOTAL, validRows: TOTAL });
          console.log(
            `[fault] after recovery: ${counts.n} rows (${counts.d} distinct), ${resends} producer slices resent, DLQ 0, ${report.chains.length} chains verified`,
          );
        } finally {
          await db.end();
        }
      } finally {
        await stopWriter(writer);
        await producer.disconnect().catch(() => undefined);
        await pg.destroy();
        await broker.reset();
      }
    },
    FAULT_TEST_TIMEOUT_MS,
  );
});
