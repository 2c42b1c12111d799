// State across restarts: the engine's windows are saved with the input offsets they cover, so a
// service stopped mid-window resumes where it was: the alert fires once, at the right count.
import { Client } from 'pg';
import { EventProducer } from '@vigil/kafka';
import { committedOffsets, testDatabaseUrl, testKafka, waitFor } from '@vigil/testing';
import { DetectionService } from '../../apps/security-monitor/src/detection/detection.service';
import { PartitionStateRepository } from '../../apps/security-monitor/src/detection/partition-state.repository';
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

  it('offsets are committed only as far as the saved state reaches: a crash before a save replays the input, it never skips it', async () => {
    const fx2 = await monitorFixture('monitor-commit');
    const app = await bootMonitor(fx2, { MONITOR_STATE_SAVE_MS: '60000' });
    try {
      const producer = app.app.get(EventProducer);
      await waitFor(() => producer.isConnected, { what: 'producer' });
      const detection = app.app.get(DetectionService);
      const group = fx2.env.KAFKA_GROUP_ID;
      const evaluated = () => detection.stages.user.engines().reduce((n, e) => n + e.stats().events, 0);
      const stateRows = async () => (await db.query(`SELECT input_offset::text AS o FROM "${fx2.db.schema}".partition_state WHERE topic = $1`, [fx2.input])).rows;
      await producer.publish(fx2.input, [0, 5, 10].map((s) => failed(at(s), 'commit.victim@example.com')));
      await waitFor(() => evaluated() === 3, { what: 'three events evaluated' });
      // Evaluated, not yet saved: nothing may be committed (a crash now must deliver them again).
      expect(await stateRows()).toEqual([]);
      expect((await committedOffsets(group, fx2.input))[0]).toBe('-1');
      await detection.flush();
      expect(await stateRows()).toEqual([{ o: '2' }]);
      // The next chunk commits up to what is saved (offset 2, so 3 is next), not its own end.
      await producer.publish(fx2.input, [failed(at(15), 'commit.victim@example.com')]);
      await waitFor(async () => (await committedOffsets(group, fx2.input))[0] === '3', { what: 'commit up to the saved state' });
      expect(evaluated()).toBe(4);
      expect((await committedOffsets(group, fx2.input))[0]).toBe('3');
    } finally {
      await app.close();
      await fx2.db.drop();
    }
  });

  it('a partition state row only moves forward: an instance that lost the partition cannot overwrite its new owner', async () => {
    const fx3 = await monitorFixture('monitor-fence');
    const app = await bootMonitor(fx3);
    try {
      const repo = app.app.get(PartitionStateRepository);
      const key = { groupId: 'g-fence', topic: fx3.input, partition: 0 };
      const state = (n: number) => JSON.stringify({ v: 1, maxT: n, lastSweep: null, events: n, lateDropped: 0, keysEvicted: 0, rules: [] });
      expect(await repo.save(key, '10', {}, 1, state(10))).toBe(true);
      // The old owner, behind, tries to save what it had: refused, and the row is untouched.
      expect(await repo.save(key, '5', {}, 1, state(5))).toBe(false);
      expect(await repo.load(key)).toMatchObject({ offset: '10', state: { events: 10 } });
      // The same offset again (an idle clock advance) and a later one are accepted.
      expect(await repo.save(key, '10', {}, 1, state(11))).toBe(true);
      expect(await repo.save(key, '12', { '3': '40' }, 1, state(12))).toBe(true);
      expect(await repo.load(key)).toMatchObject({ offset: '12', sources: { '3': '40' }, state: { events: 12 } });
    } finally {
      await app.close();
      await fx3.db.drop();
    }
  });
});
