// seed 000-30: the checkpoints are as append-only as the rows they sign, chain heads only move
// forward, and a signer that finds a head behind its own last checkpoint refuses to sign it and
// raises a SEV-1 alert on security.alerts.v1 (with an error log and a metric) instead.
// Telemetry before the app, as main.ts does: the metric is read from /metrics.
import { startTelemetry } from '@vigil/telemetry/register';
import request from 'supertest';
import type { Client } from 'pg';
import { decodeEvent, Topics, type EventOf } from '@vigil/contracts';
import { createKafka, EventProducer, readTopic } from '@vigil/kafka';
import { kafkaBrokers, waitFor } from '@vigil/testing';
import { RetentionCutService } from '../../apps/audit-writer/src/checkpoints/retention-cut.service';
import { startApp, type TestApp } from '../support/apps';
import { count, failedLogin, publishedAt, sendToChains, superuser, writerFixture } from './support';

startTelemetry('vigil-test-audit-integrity');

const ROWS = 20;

describe('checkpoint integrity', () => {
  let t: TestApp;
  let db: Client;
  let fx: Awaited<ReturnType<typeof writerFixture>>;
  let s: string;
  const chain = (p: number) => `${fx.auth}:${p}`;

  beforeAll(async () => {
    fx = await writerFixture('integrity', 2);
    t = await startApp('audit-writer', fx.env);
    s = `"${t.schema}"`;
    db = await superuser();
    const producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected);
    await sendToChains(
      producer,
      fx.auth,
      [0, 1].map((p) =>
        Array.from({ length: ROWS }, (_, i) =>
          failedLogin(p * 100 + i, new Date(Date.now() - (ROWS - i) * 1000)),
        ),
      ),
    );
    await waitFor(async () => (await count(db, t.schema)) === 2 * ROWS, { what: 'rows' });
    for (const p of [0, 1])
      await waitFor(() => publishedAt(db, t.schema, chain(p), ROWS), {
        what: `checkpoint of chain ${p} published`,
      });
    await t.app
      .get(RetentionCutService)
      .recordRetentionCut({ chainId: chain(1), upToSeq: 5, policy: 'hot-90d' });
  });
  afterAll(async () => {
    await t.close();
    await db.end();
  });

  async function refused(sql: string, message: RegExp): Promise<void> {
    await expect(db.query(sql)).rejects.toThrow(message);
  }

  it.each(['audit_checkpoints', 'chain_cuts'])(
    'refuses UPDATE, DELETE and TRUNCATE of %s even for a superuser, and with session_replication_role = replica',
    async (table) => {
      const before = await db.query(`SELECT count(*)::int AS n FROM ${s}.${table}`);
      expect(before.rows[0].n).toBeGreaterThan(0);
      const column = table === 'chain_cuts' ? 'policy' : 'head_hash';
      await refused(
        `UPDATE ${s}.${table} SET ${column} = 'x'`,
        new RegExp(`${table} is append-only: UPDATE refused`),
      );
      await refused(`DELETE FROM ${s}.${table}`, new RegExp(`${table} is append-only: DELETE refused`));
      await refused(
        `TRUNCATE ${s}.${table} CASCADE`,
        new RegExp(`${table} is append-only: TRUNCATE refused`),
      );
      await db.query('SET session_replication_role = replica');
      try {
        await refused(`DELETE FROM ${s}.${table}`, new RegExp(`${table} is append-only: DELETE refused`));
        await refused(
          `UPDATE ${s}.${table} SET ${column} = 'x'`,
          new RegExp(`${table} is append-only: UPDATE refused`),
        );
      } finally {
        await db.query('RESET session_replication_role');
      }
      expect(
        (await db.query(`SELECT count(*)::int AS n FROM ${s}.${table}`)).rows[0].n,
      ).toBeGreaterThanOrEqual(before.rows[0].n);
    },
  );

  it("gives the writer's role no UPDATE on checkpoints any more: publication is its own table", async () => {
    await db.query('SET ROLE vigil_audit_writer');
    try {
      await refused(`UPDATE ${s}.audit_checkpoints SET published_at = now()`, /permission denied/);
      await refused(`DELETE FROM ${s}.checkpoint_publications`, /permission denied/);
      expect(
        (await db.query(`SELECT count(*)::int AS n FROM ${s}.checkpoint_publications`)).rows[0].n,
      ).toBeGreaterThan(0);
    } finally {
      await db.query('RESET ROLE');
    }
  });

  it('chain_heads only moves forward, even with session_replication_role = replica', async () => {
    const c = chain(1);
    await refused(
      `UPDATE ${s}.chain_heads SET position = position - 1 WHERE chain_id = '${c}'`,
      /chain_heads only moves forward: .* from position 20 to 19 refused/,
    );
    await refused(
      `UPDATE ${s}.chain_heads SET head_hash = repeat('a', 64) WHERE chain_id = '${c}'`,
      /chain_heads only moves forward/,
    );
    await refused(
      `DELETE FROM ${s}.chain_heads WHERE chain_id = '${c}'`,
      /chain_heads only moves forward: DELETE refused/,
    );
    await refused(`TRUNCATE ${s}.chain_heads`, /chain_heads only moves forward: TRUNCATE refused/);
    await db.query('SET session_replication_role = replica');
    try {
      await refused(
        `UPDATE ${s}.chain_heads SET position = 1 WHERE chain_id = '${c}'`,
        /chain_heads only moves forward/,
      );
    } finally {
      await db.query('RESET session_replication_role');
    }
    await db.query(`UPDATE ${s}.chain_heads SET updated_at = now() WHERE chain_id = '${c}'`); // the same head again is fine
  });

  it('the signer refuses a head moved behind its last checkpoint and raises a SEV-1 alert, an error log and a metric', async () => {
    const c = chain(0);
    const alerts: Array<EventOf<'SECURITY_ALERT'>> = [];
    const stop = new AbortController();
    let caughtUp = false;
    const reading = readTopic(
      createKafka({ brokers: kafkaBrokers(), clientId: 'integrity-test' }),
      Topics.SECURITY_ALERTS,
      ({ message }) => {
        const d = decodeEvent(message.value);
        if (d.ok && d.event.type === 'SECURITY_ALERT' && d.event.attributes.key.value === c)
          alerts.push(d.event);
      },
      { follow: true, signal: stop.signal, onProgress: (p) => (caughtUp ||= p.caughtUp) },
    );
    const { rows } = await db.query(
      `SELECT hash, created_at FROM ${s}.audit_logs WHERE chain_id = $1 AND chain_seq = 15`,
      [c],
    );
    try {
      await waitFor(() => caughtUp, { what: 'alerts topic read up to now' });
      // A superuser rewinds the head (the trigger switched off first) to pass over the last five rows.
      await db.query(`ALTER TABLE ${s}.chain_heads DISABLE TRIGGER chain_heads_forward_only`);
      await db.query(
        `UPDATE ${s}.chain_heads SET position = 15, head_hash = $2, head_created_at = $3 WHERE chain_id = $1`,
        [c, rows[0].hash, rows[0].created_at],
      );
      await db.query(`ALTER TABLE ${s}.chain_heads ENABLE ALWAYS TRIGGER chain_heads_forward_only`);
      await waitFor(() => alerts.length > 0, { what: `an alert keyed on ${c}` });
    } finally {
      stop.abort();
      await reading;
    }
    expect(alerts[0].attributes).toMatchObject({
      ruleId: 'audit-chain-regression',
      status: 'firing',
      severity: 'critical',
      sev: 'SEV-1',
      key: { kind: 'chain', value: c },
      count: 1,
    });
    expect(alerts[0].attributes.summary).toContain(
      'head at position 15 is below its last signed checkpoint at 20',
    );
    expect(alerts[0].producer).toBe('audit-writer');
    // Taken once a round has refused the rewound head (the alert): a round that read the head
    // before the rewind may still have signed it at 20, which is not what is being tested.
    const [{ max }] = (
      await db.query(
        `SELECT coalesce(max(id), 0)::bigint AS max FROM ${s}.audit_checkpoints WHERE chain_id = $1`,
        [c],
      )
    ).rows;

    // Rounds go on for the other chain, and never sign the rewound one.
    const [{ other }] = (
      await db.query(`SELECT max(id)::bigint AS other FROM ${s}.audit_checkpoints WHERE chain_id = $1`, [
        chain(1),
      ])
    ).rows;
    await waitFor(
      async () =>
        (
          await db.query(`SELECT 1 FROM ${s}.audit_checkpoints WHERE chain_id = $1 AND id > $2`, [
            chain(1),
            other,
          ])
        ).rowCount! > 0,
      { what: 'a later round' },
    );
    expect(
      (
        await db.query(
          `SELECT count(*)::int AS n FROM ${s}.audit_checkpoints WHERE chain_id = $1 AND id > $2`,
          [c, max],
        )
      ).rows[0].n,
    ).toBe(0);

    const logged = t.logs.find((l) => l.level === 'error' && l.chainId === c);
    expect(logged).toMatchObject({
      message: expect.stringContaining('refused to sign'),
      headPosition: 15,
      lastCheckpointPosition: 20,
    });
    expect(JSON.stringify(logged)).not.toContain(rows[0].hash); // no hashes or key material in logs
    const metrics = (await request(t.app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(
      new RegExp(
        `^audit_chain_regressions_total\\{[^}]*chain="${c.replace(/\./g, '\\.')}"[^}]*\\} [1-9]`,
        'm',
      ),
    );
  });
});
