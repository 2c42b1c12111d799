// Issue 19 item 1 on the real broker and PostgreSQL: "an unusual number of distinct accounts
// failing relative to a moving baseline" (failing-accounts-above-baseline) through the three
// stages (user stage counts, the global stage merges every partition's accounts), with the
// learned baseline kept across a restart in partition_state.
import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('vigil-test');
import { EventProducer } from '@vigil/kafka';
import { Client } from 'pg';
import { testDatabaseUrl, waitFor } from '@vigil/testing';
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
} from './support';

const RULE = 'failing-accounts-above-baseline';
const PERIOD = 600_000;
// The periods are played from two hours ago, faster than real time: a partition idle for
// MONITOR_IDLE_SECONDS (across the restart) would move its clock to the wall clock and drop the
// rest as late, so the idle clock is kept out of the way.
const NO_IDLE_CLOCK = { MONITOR_IDLE_SECONDS: '3600' };

describe('security-monitor moving baseline (issue 19 item 1)', () => {
  let fx: Awaited<ReturnType<typeof monitorFixture>>;
  let t: MonitorApp;
  let alerts: Collector<AlertEvent>;
  let db: Client;
  const publish = (events: Parameters<EventProducer['publish']>[1]) =>
    t.app.get(EventProducer).publish(fx.input, events);
  const caughtUp = () => stagesCaughtUp(db, fx.db.schema, [fx.input, fx.repartition, fx.partials]);

  beforeAll(async () => {
    fx = await monitorFixture('baseline', 3);
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    t = await bootMonitor(fx, NO_IDLE_CLOCK);
    await waitFor(() => t.app.get(EventProducer).isConnected, { what: 'producer connected' });
    alerts = await collect(fx.alerts);
  });
  afterAll(async () => {
    await alerts?.stop();
    await t?.close();
    await db?.end();
    await fx?.db.drop();
  });

  it("seeds 000-18, 004-50: ten learned periods of 12 accounts survive a restart, then 40 accounts failing in one period (under the cold start's 60) raise one alert at the learned threshold, and no other rule fires", async () => {
    // Ten past periods with 12 accounts each mistyping their password (spread over three partitions).
    const first = Math.floor(Date.now() / PERIOD) * PERIOD - 12 * PERIOD;
    const history = Array.from({ length: 10 }, (_, p) =>
      Array.from({ length: 12 }, (_, i) =>
        failed(
          new Date(first + p * PERIOD + 20_000 + i * 45_000),
          `staff-${p}-${i}@example.com`,
          `198.51.${100 + p}.${7 + i}`,
        ),
      ),
    ).flat();
    await publish(history);
    await waitFor(caughtUp, { what: 'every stage to save the learned periods', timeoutMs: 60_000 });

    // A restart: the global stage's baseline comes back from partition_state.
    await t.close();
    t = await bootMonitor(fx, NO_IDLE_CLOCK);
    await waitFor(() => t.app.get(EventProducer).isConnected, { what: 'producer connected again' });

    // The next period: 40 accounts, each once from its own address, within a minute.
    const start = first + 10 * PERIOD + 30_000;
    const spray = Array.from({ length: 40 }, (_, i) =>
      failed(new Date(start + i * 1_000), `spray-${i}@example.com`, `10.9.${i}.7`),
    );
    await publish(spray);

    await waitFor(() => ofRule(alerts.events, RULE).length > 0, {
      what: 'the baseline alert',
      timeoutMs: 60_000,
    });
    const [alert] = ofRule(alerts.events, RULE);
    expect(alert.attributes).toMatchObject({
      status: 'firing',
      severity: 'high',
      key: { kind: 'global', value: '*' },
      threshold: 30,
    });
    // Judged account by account as the global stage merges them: the 31st crosses. How many past
    // periods are closed by then depends on the slowest partition's clock (the global watermark):
    // more than the cold start's six, else the threshold would be 60.
    expect(alert.attributes.summary).toMatch(
      /: 31 distinct accounts this period \(baseline 12\.0 over ([7-9]|10) periods; threshold > 30\)/,
    );
    await waitFor(caughtUp, { what: 'every stage to finish', timeoutMs: 60_000 });
    const firing = alerts.events
      .filter((a) => a.attributes.status === 'firing')
      .map((a) => a.attributes.ruleId);
    expect(firing).toEqual([RULE]);
  }, 180_000);
});
