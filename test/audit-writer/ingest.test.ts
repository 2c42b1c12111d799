// audit-writer against the real broker and PostgreSQL: a stream written end to end into the
// chained store, duplicates ignored, poison in the DLQ, checkpoints signed and published, and the
// seeds' audit_logs SQL running as written.
import type { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { dlqTopic, Topics } from '@vigil/contracts';
import { sampleEvent } from '@vigil/contracts/testing';
import { EventProducer } from '@vigil/kafka';
import { readMessages, readUntil, waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { count, failedLogin, login, superuser, writerFixture } from './support';

describe('audit-writer ingest', () => {
  let t: TestApp;
  let db: Client;
  let fx: Awaited<ReturnType<typeof writerFixture>>;
  let producer: EventProducer;

  beforeAll(async () => {
    fx = await writerFixture('ingest');
    t = await startApp('audit-writer', fx.env);
    producer = t.app.get(EventProducer);
    db = await superuser();
    await waitFor(() => producer.isConnected, { what: 'producer connected' });
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('seed 001-01: writes a stream from several partitions and topics into audit_logs, chained per partition', async () => {
    const events = Array.from({ length: 600 }, (_, i) => failedLogin(i));
    await producer.publish(fx.auth, events);
    await producer.publish(
      fx.ops,
      [login('0190a1b2-0000-7000-8000-00000000abcd')].map((e) => ({ ...e, type: 'AUTH_LOGIN' as const })),
    );
    await waitFor(async () => (await count(db, t.schema)) === 601, { timeoutMs: 30000, what: '601 rows' });
    const { rows } = await db.query(
      `SELECT chain_id, count(*)::int n, max(chain_seq)::int top FROM "${t.schema}".audit_logs GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) expect(r.top).toBe(r.n); // dense sequence per chain
    const { rows: sample } = await db.query(
      `SELECT action, host(ip_address) ip, username, user_agent, outcome, reason, details FROM "${t.schema}".audit_logs WHERE event_id = $1`,
      [events[7].id],
    );
    expect(sample[0]).toMatchObject({
      action: 'FAILED_AUTH_LOGIN',
      ip: '198.51.100.7',
      username: 'user7@example.com',
      outcome: 'failure',
      reason: 'invalid_credentials',
    });
    expect(sample[0].details.attributes).toEqual({ attemptCount: 3, repeated: false });
  });

  it('ignores redelivered and repeated events (unique event_id): the row count does not move', async () => {
    const before = await count(db, t.schema);
    const again = Array.from({ length: 50 }, (_, i) => failedLogin(1000 + i));
    await producer.publish(fx.auth, again);
    await waitFor(async () => (await count(db, t.schema)) === before + 50, { what: 'the 50 new rows' });
    await producer.publish(fx.auth, again); // the same events again (an outbox relay retrying)
    const marker = failedLogin(2000);
    await producer.publish(fx.auth, [marker]);
    await waitFor(async () => (await count(db, t.schema, `event_id = '${marker.id}'`)) === 1, {
      what: 'the marker after the repeats',
    });
    expect(await count(db, t.schema)).toBe(before + 51);
  });

  it("issue 14 item 2: stores the gateway's SECURITY_ACTION_REJECTED, IP_BLOCKED and IP_UNBLOCKED like any auth event", async () => {
    const types = ['SECURITY_ACTION_REJECTED', 'IP_BLOCKED', 'IP_UNBLOCKED'] as const;
    const events = types.map((type) => ({
      ...sampleEvent(type),
      id: uuidv7(),
      occurredAt: new Date().toISOString(),
    }));
    await producer.publish(fx.auth, events);
    const ids = events.map((e) => `'${e.id}'`).join(',');
    await waitFor(async () => (await count(db, t.schema, `event_id IN (${ids})`)) === 3, {
      what: 'the three new event types stored',
    });
    const { rows } = await db.query(
      `SELECT action, outcome, reason FROM "${t.schema}".audit_logs WHERE event_id IN (${ids}) ORDER BY action`,
    );
    expect(rows).toEqual([
      { action: 'IP_BLOCKED', outcome: 'success', reason: null },
      { action: 'IP_UNBLOCKED', outcome: 'success', reason: null },
      { action: 'SECURITY_ACTION_REJECTED', outcome: 'denied', reason: 'admin_target' },
    ]);
  });

  it('sends a poison message to the DLQ with its reason while the rest of the batch lands', async () => {
    const good = [failedLogin(3000), failedLogin(3001)];
    await producer.send(fx.auth, [{ key: 'k', value: Buffer.from('{"type":"FAILED_AUTH_LOGIN"}') }]);
    await producer.publish(fx.auth, good);
    await waitFor(
      async () => (await count(db, t.schema, `event_id IN ('${good[0].id}','${good[1].id}')`)) === 2,
      { what: 'good rows' },
    );
    const [dead] = await readMessages(dlqTopic(fx.auth), 1);
    expect(dead.headers?.['dlq-reason']?.toString()).toBe('schema_violation');
  });

  it('signs checkpoints of every chain, stores them and publishes them to audit.checkpoints.v1', async () => {
    const { rows } = await waitFor(
      async () => {
        const r = await db.query(
          `SELECT DISTINCT ON (c.chain_id) c.chain_id, c.position, p.published_at
           FROM "${t.schema}".audit_checkpoints c LEFT JOIN "${t.schema}".checkpoint_publications p ON p.checkpoint_id = c.id
          ORDER BY c.chain_id, c.id DESC`,
        );
        return r.rows.length >= 2 && r.rows.every((x) => x.published_at) ? r : undefined;
      },
      { what: 'published checkpoints' },
    );
    const heads = await db.query(`SELECT chain_id, position FROM "${t.schema}".chain_heads`);
    for (const h of heads.rows) expect(rows.find((r) => r.chain_id === h.chain_id)).toBeDefined();
    // The topic is shared with other suites (their checkpoints and retention cuts): find this one's.
    const mine = new Set(heads.rows.map((h) => h.chain_id as string));
    const published = await readUntil(Topics.AUDIT_CHECKPOINTS, (m) => mine.has(m.key?.toString() ?? ''));
    expect(published.headers?.['event-type']?.toString()).toBe('AUDIT_CHECKPOINT');
  });

  describe("seed 001's audit_logs SQL runs as written", () => {
    const seedQueries: Array<[string, string]> = [
      ['001-44', 'SELECT count(*) FROM audit_logs;'],
      ['001-49', 'SELECT * FROM audit_logs WHERE created_at IS NULL;'],
      [
        '001-59',
        "SELECT user_id, count(*) FROM audit_logs WHERE action = 'AUTH_LOGIN' AND created_at > now() - interval '1 day' GROUP BY user_id;",
      ],
      [
        '001-60',
        "SELECT ip_address, count(*) FROM audit_logs WHERE action = 'FAILED_AUTH_LOGIN' AND created_at > now() - interval '1 hour' GROUP BY ip_address HAVING count(*) > 10;",
      ],
      [
        '001-61',
        "SELECT action, count(*) FROM audit_logs WHERE created_at > now() - interval '1 day' GROUP BY action;",
      ],
      [
        '001-62',
        "SELECT * FROM audit_logs WHERE action LIKE 'SECURITY_%' AND created_at > now() - interval '1 day' ORDER BY created_at DESC;",
      ],
      ['001-63', 'SELECT min(created_at) FROM audit_logs;'],
      ['001-64', "SELECT count(*) FROM audit_logs WHERE created_at < now() - interval '90 days';"],
      [
        '001-65',
        "SELECT date_trunc('hour', created_at) as hour, count(*) as log_count FROM audit_logs GROUP BY hour ORDER BY hour DESC;",
      ],
    ];
    it.each(seedQueries)('seed %s', async (_id, sql) => {
      await db.query(`SET search_path = "${t.schema}", public`);
      const { rows } = await db.query(sql);
      expect(Array.isArray(rows)).toBe(true);
      await db.query('RESET search_path');
    });

    it('seed 001-60: finds the IP with more than 10 failed logins in the last hour', async () => {
      await db.query(`SET search_path = "${t.schema}", public`);
      const { rows } = await db.query(
        "SELECT ip_address, count(*) FROM audit_logs WHERE action = 'FAILED_AUTH_LOGIN' AND created_at > now() - interval '1 hour' GROUP BY ip_address HAVING count(*) > 10;",
      );
      await db.query('RESET search_path');
      expect(rows.map((r) => r.ip_address)).toContain('198.51.100.7');
    });
  });
});
