// State across restarts: the engine's windows are saved with the input offsets they cover, so a
// service stopped mid-window resumes where it was: the alert fires once, at the right count.
import { Client } from 'pg';
import { dlqTopic } from '@vigil/contracts';
import { EventProducer, replayDlq, toMessage } from '@vigil/kafka';
import { committedOffsets, testDatabaseUrl, testKafka, waitFor } from '@vigil/testing';
import { DetectionService } from '../../apps/security-monitor/src/detection/detection.service';
import { PartitionStateRepository } from '../../apps/security-monitor/src/detection/partition-state.repository';
import {
  bootMonitor,
  clock,
  collect,
  type AlertEvent,
  type Collector,
  failed,
  monitorFixture,
  ofRule,
  type MonitorApp,
} from './support';

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
    const { rows } = await db.query(
      `SELECT input_offset::text AS o FROM "${fx.db.schema}".partition_state WHERE topic = $1 AND partition = 0`,
      [fx.input],
    );
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
    await admin.setOffsets({
      groupId: fx.env.KAFKA_GROUP_ID,
      topic: fx.input,
      partitions: [{ partition: 0, offset: '0' }],
    });
    await admin.disconnect();

    t = await bootMonitor(fx);
    producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer after restart' });
    const after = [20, 25].map((s) => failed(at(s), 'restart.victim@example.com'));
    await producer.publish(fx.input, after);
    await waitFor(async () => (await savedOffset()) === '5', { what: 'state saved through offset 5' });
    const warning = () =>
      ofRule(alerts.events, 'failed-logins-per-user-1m-warning', 'restart.victim@example.com');
    await waitFor(() => warning().length >= 1, { what: 'the warning' });
    expect(warning().map((a) => a.attributes.status)).toEqual(['firing']);
    expect(warning()[0].attributes).toMatchObject({
      count: 6,
      firstSeen: before[0].occurredAt,
      lastSeen: after[1].occurredAt,
    });
    expect(warning()[0].attributes.sampleEventIds).toEqual([...before, ...after].map((e) => e.id));
    // Each rule on this key fired exactly once across the restart: no double alert.
    const firings = alerts.events
      .filter((a) => a.attributes.status === 'firing')
      .map((a) => a.attributes.ruleId)
      .sort();
    expect(firings).toEqual([
      'failed-logins-per-user-10m',
      'failed-logins-per-user-15m',
      'failed-logins-per-user-1m-warning',
    ]);
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
      const stateRows = async () =>
        (
          await db.query(
            `SELECT input_offset::text AS o FROM "${fx2.db.schema}".partition_state WHERE topic = $1`,
            [fx2.input],
          )
        ).rows;
      await producer.publish(
        fx2.input,
        [0, 5, 10].map((s) => failed(at(s), 'commit.victim@example.com')),
      );
      await waitFor(() => evaluated() === 3, { what: 'three events evaluated' });
      // Evaluated, not yet saved: nothing may be committed (a crash now must deliver them again).
      expect(await stateRows()).toEqual([]);
      expect((await committedOffsets(group, fx2.input))[0]).toBe('-1');
      await detection.flush();
      expect(await stateRows()).toEqual([{ o: '2' }]);
      // The next chunk commits up to what is saved (offset 2, so 3 is next), not its own end.
      await producer.publish(fx2.input, [failed(at(15), 'commit.victim@example.com')]);
      await waitFor(async () => (await committedOffsets(group, fx2.input))[0] === '3', {
        what: 'commit up to the saved state',
      });
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
      const state = (n: number) =>
        JSON.stringify({
          v: 1,
          maxT: n,
          lastSweep: null,
          events: n,
          lateDropped: 0,
          keysEvicted: 0,
          rules: [],
        });
      expect(await repo.save(key, '10', {}, 1, state(10))).toBe(true);
      // The old owner, behind, tries to save what it had: refused, and the row is untouched.
      expect(await repo.save(key, '5', {}, 1, state(5))).toBe(false);
      expect(await repo.load(key)).toMatchObject({ offset: '10', state: { events: 10 } });
      // The same offset again (an idle clock advance) and a later one are accepted.
      expect(await repo.save(key, '10', {}, 1, state(11))).toBe(true);
      expect(await repo.save(key, '12', { '3': '40' }, 1, state(12))).toBe(true);
      expect(await repo.load(key)).toMatchObject({
        offset: '12',
        sources: { '3': '40' },
        state: { events: 12 },
      });
    } finally {
      await app.close();
      await fx3.db.drop();
    }
  });

  it('seed 001-36: a DLQ replay is counted once, though replayed again after a restart', async () => {
    const fx4 = await monitorFixture('monitor-replay');
    // Event times of now: the replays must stay inside the window and the lateness across the restart.
    const now = clock(Date.now() - 30_000);
    const group = fx4.env.KAFKA_GROUP_ID;
    const replays = await collect(fx4.alerts);
    let app = await bootMonitor(fx4);
    try {
      let producer = app.app.get(EventProducer);
      await waitFor(() => producer.isConnected, { what: 'producer' });
      await producer.publish(
        fx4.input,
        [0, 5, 10, 15, 20].map((s) => failed(now(s), 'replay.victim@example.com')),
      );
      // The sixth failure is one this monitor's group once sent to its DLQ (as libs/kafka would).
      const sixth = failed(now(25), 'replay.victim@example.com');
      const dead = toMessage(sixth);
      dead.headers = {
        ...dead.headers,
        'dlq-reason': 'handler_failed',
        'dlq-original-topic': fx4.input,
        'dlq-consumer-group': group,
        'dlq-failed-at': new Date().toISOString(),
      };
      await producer.send(dlqTopic(fx4.input), [dead]);
      const kafka = testKafka('vigil-test-replay');
      expect(await replayDlq(kafka, producer, { dlq: dlqTopic(fx4.input) })).toMatchObject({ replayed: 1 });
      const warning = () =>
        ofRule(replays.events, 'failed-logins-per-user-1m-warning', 'replay.victim@example.com');
      await waitFor(() => warning().length === 1, {
        what: 'the warning, counting the replayed sixth failure',
      });
      expect(warning()[0].attributes).toMatchObject({ status: 'firing', count: 6 });
      const saved = async () =>
        (
          await db.query(
            `SELECT input_offset::text AS o FROM "${fx4.db.schema}".partition_state WHERE topic = $1 AND partition = 0`,
            [fx4.input],
          )
        ).rows[0]?.o;
      await waitFor(async () => (await saved()) === '5', { what: 'state saved past the replay' });
      // One more event, so the group commits past the replay: after the restart only the engine's saved state remembers it.
      await producer.publish(fx4.input, [failed(now(26), 'bystander@example.com')]);
      await waitFor(
        async () => (await committedOffsets(group, fx4.input))[0] === '6' && (await saved()) === '6',
        { what: 'replay committed, bystander saved' },
      );
      await app.close();

      app = await bootMonitor(fx4);
      producer = app.app.get(EventProducer);
      await waitFor(() => producer.isConnected, { what: 'producer after restart' });
      expect(await replayDlq(kafka, producer, { dlq: dlqTopic(fx4.input) })).toMatchObject({ replayed: 1 });
      await waitFor(async () => (await saved()) === '7', { what: 'the second replay evaluated and saved' });
      const engines = app.app.get(DetectionService).stages.user.engines();
      expect(engines.reduce((n, e) => n + e.stats().events, 0)).toBe(7); // 5 + the replay + the bystander; the second replay not counted
      expect(warning().map((a) => a.attributes.count)).toEqual([6]);
    } finally {
      await replays.stop();
      await app.close();
      await fx4.db.drop();
    }
  });
});
