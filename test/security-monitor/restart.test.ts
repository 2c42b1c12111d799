// State across restarts: the engine's windows are saved with the input offsets they cover, so a
// service stopped mid-window resumes where it was: the alert fires once, at the right count.
import { Client } from 'pg';
import { EventProducer } from '@vigil/kafka';
import { testDatabaseUrl, testKafka, waitFor } from '@vigil/testing';
import { bootMonitor, clock, collect, type AlertEvent, type Collector, failed, monitorFixture, ofRule, type MonitorApp } from './support';

describe('security-monitor restart mid-window', () => {
  let fx: Awaited<ReturnType<typeof monitorFixture>>;
  let t: MonitorApp | undefined;
  let db: Client;
  let alerts: Collector<AlertEvent>;
  const at = clock();

  beforeAll(async () => {
    fx = await monitorFixture('monitor-restart');
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    alerts = await collect(fx.alerts);
  });
  afterAll(async () => {
    await alerts?.stop();
    await t?.close();
    await db?.end();
    await fx?.db.drop();
  });

  const savedOffset = async (): Promise<string | undefined> => {
    const { rows } = await db.query(`SELECT input_offset::text AS o FROM "${fx.db.schema}".partition_state WHERE topic = $1 AND partition = 0`, [fx.input]);
    return rows[0]?.o;
  };

  it('seed 001-36: 4 failures before a restart and 2 after fire the warning once, counting all 6, even when the input is redelivered', async () => {
    t = await bootMonitor(fx);
    let producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer' });
    const before = [0, 5, 10, 15].map((s) => failed(at(s), 'restart.victim@example.com'));
    await producer.publish(fx.input, before);
    await waitFor(async () => (await savedOffset()) === '3', { what: 'state saved through offset 3' });
    expect(alerts.events).toEqual([]);
    await t.close();
    // As if the process died after saving its state but before committing: the group starts over at 0.
    const admin = testKafka('vigil-test-admin').admin();
    await admin.connect();
    await admin.setOffsets({ groupId: fx.env.KAFKA_GROUP_ID, topic: fx.input, partitions: [{ partition: 0, offset: '0' }] });
    await admin.disconnect();

    t = await bootMonitor(fx);
    producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer after restart' });
    const after = [20, 25].map((s) => failed(at(s), 'restart.victim@example.com'));
    await producer.publish(fx.input, after);
    await waitFor(async () => (await savedOffset()) === '5', { what: 'state saved through offset 5' });
    const warning = () => ofRule(alerts.events, 'failed-logins-per-user-1m-warning', 'restart.victim@example.com');
    await waitFor(() => warning().length >= 1, { what: 'the warning' });
    expect(warning().map((a) => a.attributes.status)).toEqual(['firing']);
    expect(warning()[0].attributes).toMatchObject({ count: 6, firstSeen: before[0].occurredAt, lastSeen: after[1].occurredAt });
    expect(warning()[0].attributes.sampleEventIds).toEqual([...before, ...after].map((e) => e.id));
    // Each rule on this key fired exactly once across the restart: no double alert.
    const firings = alerts.events.filter((a) => a.attributes.status === 'firing').map((a) => a.attributes.ruleId).sort();
    expect(firings).toEqual(['failed-logins-per-user-10m', 'failed-logins-per-user-15m', 'failed-logins-per-user-1m-warning']);
  });
});
