// The monitor while a dependency blinks (issue 13): brute force against 40 accounts flows in while
// PostgreSQL is stopped for 15 s, or the broker for 30 s. Afterwards every expected alert was
// raised exactly once and nothing reached any of its DLQs. Each case runs its own PostgreSQL
// server or broker, so the shared ones keep serving the other suites.
import { Client } from 'pg';
import type { EventEnvelope } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { testKafka, waitFor } from '@vigil/testing';
import { DetectionService } from '../../apps/security-monitor/src/detection/detection.service';
import { PgCluster } from '../support/pg-cluster';
import { freePort } from '../support/processes';
import { dlqDepth, FAULT_TEST_TIMEOUT_MS, FaultBroker, outage, publishUntilLanded } from './support';
import {
  bootMonitor,
  collect,
  failed,
  monitorFixture,
  ofRule,
  stagesCaughtUp,
  type AlertEvent,
  type Collector,
  type MonitorApp,
} from '../security-monitor/support';

const VICTIMS = 40;
const RULE = 'failed-logins-per-user-1m-warning'; // seed 001-36: > 5 failures per user per minute
const VICTIM_STAGGER_MS = 500;
const FAILURE_GAP_MS = 2000;
/**
 * Brute force in real time: six failures per victim, 2 s apart, a new victim every 0.5 s (about
 * 30 s of traffic). Each event's time is when it is due; one that cannot be sent then (broker
 * away) is sent late with its original time, as the gateway's outbox would.
 */
function attack(base: number): Array<{ due: number; event: EventEnvelope }> {
  const out: Array<{ due: number; event: EventEnvelope }> = [];
  for (let v = 0; v < VICTIMS; v++) {
    for (let k = 0; k < 6; k++) {
      const due = base + v * VICTIM_STAGGER_MS + k * FAILURE_GAP_MS;
      out.push({ due, event: failed(new Date(due), `victim${v}@example.com`, `203.0.113.${v}`) });
    }
  }
  return out.sort((a, b) => a.due - b.due);
}

async function steadyFlow(
  producer: EventProducer,
  topic: string,
  schedule: Array<{ due: number; event: EventEnvelope }>,
): Promise<number> {
  let resends = 0;
  for (let i = 0; i < schedule.length;) {
    const wait = schedule[i].due - Date.now();
    if (wait > 0) await outage(wait);
    const slice: EventEnvelope[] = [];
    while (i < schedule.length && schedule[i].due <= Date.now()) slice.push(schedule[i++].event);
    resends += await publishUntilLanded(producer, topic, slice);
  }
  return resends;
}

/**
 * Runs the attack through a monitor on its own PostgreSQL server, applies `fault` once the first
 * alerts are out, and checks the outcome.
 */
async function attackThroughFault(name: string, fault: (pg: PgCluster) => Promise<string>): Promise<void> {
  const pg = new PgCluster(await freePort(), name);
  await pg.init();
  const fx = await monitorFixture(name, 3);
  const store = { url: pg.adminUrl, schema: `monitor_${name.replace(/-/g, '_')}` };
  let alerts: Collector<AlertEvent> | undefined;
  let t: MonitorApp | undefined;
  const db = new Client({ connectionString: pg.adminUrl });
  try {
    alerts = await collect(fx.alerts);
    t = await bootMonitor({ ...fx, db: { ...fx.db, ...store } }, { KAFKA_SESSION_TIMEOUT_MS: '30000' });
    const producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer' });
    const flow = steadyFlow(producer, fx.input, attack(Date.now()));
    await waitFor(() => ofRule(alerts!.events, RULE).length >= 5, {
      timeoutMs: 60000,
      what: 'the first alerts',
    });
    const what = await fault(pg);
    const resends = await flow;

    const warnings = () => ofRule(alerts!.events, RULE).filter((a) => a.attributes.status === 'firing');
    await waitFor(() => new Set(warnings().map((a) => a.attributes.key.value)).size === VICTIMS, {
      timeoutMs: 120000,
      what: `${VICTIMS} alerts`,
    }).catch(async (err) => {
      const seen = new Set(warnings().map((a) => a.attributes.key.value)).size;
      const logged = t!.logs.filter(
        (l) => l.message === 'security alert' && l.rule === RULE && l.status === 'firing',
      ).length;
      const notable = t!.logs.filter(
        (l) =>
          l.message !== 'security alert' &&
          !String(l.message).startsWith('kafkajs: Con') &&
          !String(l.message).startsWith('kafkajs: Failed'),
      );
      const admin = testKafka('vigil-test-admin').admin();
      await admin.connect();
      const ends = await Promise.all(
        [fx.input, fx.alerts, fx.repartition].map(
          async (tp) => `${tp}: ${(await admin.fetchTopicOffsets(tp)).map((o) => o.high).join(',')}`,
        ),
      );
      await admin.disconnect();
      const state = await db
        .connect()
        .then(() =>
          db.query(
            `SELECT topic, partition, input_offset::text FROM "${store.schema}".partition_state ORDER BY 1, 2`,
          ),
        )
        .catch((e) => ({ rows: [String(e)] }));
      console.log(
        `[fault] ${seen}/${VICTIMS} alerts seen by the collector, ${logged} logged firing (${alerts!.events.length} alert events in all)\nengines ${JSON.stringify(t!.app.get(DetectionService).stats())}\nends ${ends.join(' ')}\nstate ${JSON.stringify(state.rows)}\n` +
          notable
            .slice(-30)
            .map(
              (l) =>
                `${l.timestamp} ${l.level} ${l.message} ${JSON.stringify(l.err ?? l.kafka ?? '').slice(0, 160)}`,
            )
            .join('\n'),
      );
      throw err;
    });
    await db.connect();
    await waitFor(() => stagesCaughtUp(db, store.schema, [fx.input, fx.repartition, fx.partials]), {
      timeoutMs: 60000,
      what: 'every stage caught up',
    });

    const perVictim = new Map<string, number>();
    for (const a of warnings())
      perVictim.set(a.attributes.key.value, (perVictim.get(a.attributes.key.value) ?? 0) + 1);
    const twice = [...perVictim].filter(([, n]) => n !== 1);
    expect(twice).toEqual([]);
    expect(perVictim.size).toBe(VICTIMS);
    for (const a of warnings()) expect(a.attributes.count).toBe(6);
    expect(await dlqDepth([fx.input, fx.repartition, fx.partials, fx.alerts, fx.actions])).toBe(0);
    console.log(
      `[fault] ${what}; ${VICTIMS} warnings, each exactly once, ${resends} producer slices resent, DLQs empty`,
    );
  } finally {
    await alerts?.stop().catch(() => undefined);
    await t?.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    await pg.destroy();
    await fx.db.drop().catch(() => undefined);
  }
}

describe('security-monitor while a dependency blinks', () => {
  it(
    'seed 001-36, 003-18: PostgreSQL stopped for 15 s mid-stream: every expected alert exactly once, none in a DLQ',
    async () => {
      await attackThroughFault('fault-monitor-pg', async (pg) => {
        await pg.stop();
        await outage(15_000);
        await pg.start();
        return 'PostgreSQL stopped for 15 s';
      });
    },
    FAULT_TEST_TIMEOUT_MS,
  );

  it(
    'seed 001-36, 003-18: the broker stopped for 30 s mid-stream: every expected alert exactly once, none in a DLQ',
    async () => {
      const broker = new FaultBroker('fault-monitor', 19292);
      await broker.start();
      broker.useForHelpers(); // fixture topics, the collector and the monitor use this broker
      try {
        await attackThroughFault('fault-monitor-broker', async () => {
          await broker.stop();
          await outage(30_000);
          await broker.start();
          return 'broker stopped for 30 s';
        });
      } finally {
        await broker.reset();
      }
    },
    FAULT_TEST_TIMEOUT_MS,
  );
});
