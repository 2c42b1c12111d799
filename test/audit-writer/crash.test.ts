// The writer SIGKILLed in the middle of ingesting loses and duplicates nothing: rows, chain heads
// and consumer offsets commit in one transaction, so a restart resumes exactly where it stopped.
import type { Client } from 'pg';
import { createKafka, EventProducer } from '@vigil/kafka';
import { freshSchema, kafkaBrokers, waitFor } from '@vigil/testing';
import winston from 'winston';
import { spawnService } from '../support/processes';
import { count, failedLogin, superuser, writerFixture } from './support';
import { verifyStore } from '../../apps/audit-writer/src/verify/verify-store';
import { loadKeyring } from '../../apps/audit-writer/src/checkpoints/signing-keys';

describe('audit-writer killed mid-batch', () => {
  const TOTAL = 20000;
  let db: Client;

  beforeAll(async () => {
    db = await superuser();
  });
  afterAll(async () => db?.end());

  it('resumes after SIGKILL with every event exactly once and the chains intact', async () => {
    const fx = await writerFixture('crash', 3);
    const store = await freshSchema('audit_crash');
    const producer = new EventProducer(createKafka({ brokers: kafkaBrokers(), clientId: 'crash-test' }), {
      logger: winston.createLogger({ silent: true }),
    });
    await producer.connect();
    const events = Array.from({ length: TOTAL }, (_, i) => failedLogin(i));
    for (let i = 0; i < TOTAL; i += 5000) await producer.publish(fx.auth, events.slice(i, i + 5000));
    await producer.disconnect();

    const env = {
      ...fx.env,
      DATABASE_URL: store.url,
      DB_SCHEMA: store.schema,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      HTTP_HOST: '127.0.0.1',
      AUDIT_BATCH_MAX: '250',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'warn',
    };
    const first = spawnService('audit-writer', {
      ...env,
      HTTP_PORT: String(40000 + Math.floor(Math.random() * 1000)),
    });
    try {
      const seen = await waitFor(
        async () => {
          const n = await count(db, store.schema).catch(() => 0);
          return n > 2000 ? n : undefined;
        },
        { timeoutMs: 60000, intervalMs: 20, what: 'ingest under way' },
      );
      first.child.kill('SIGKILL');
      await first.exited;
      const atKill = await count(db, store.schema);
      expect(atKill).toBeGreaterThanOrEqual(seen);
      expect(atKill).toBeLessThan(TOTAL); // it really died mid-stream

      const second = spawnService('audit-writer', {
        ...env,
        HTTP_PORT: String(41000 + Math.floor(Math.random() * 1000)),
      });
      try {
        await waitFor(async () => (await count(db, store.schema)) >= TOTAL, {
          timeoutMs: 90000,
          intervalMs: 200,
          what: `${TOTAL} rows after restart`,
        });
        const { rows } = await db.query(
          `SELECT count(*)::int n, count(DISTINCT event_id)::int d FROM "${store.schema}".audit_logs`,
        );
        expect(rows[0]).toEqual({ n: TOTAL, d: TOTAL });
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
      const report = await verifyStore(db, store.schema, loadKeyring(fx.keyDir));
      expect(report.chains.flatMap((c) => c.findings)).toEqual([]);
      expect(report).toMatchObject({ ok: true, rows: TOTAL, validRows: TOTAL });
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
      await store.drop();
    }
  });
});
