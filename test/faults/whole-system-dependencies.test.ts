// The whole system while what it depends on blinks and its consumers scale (issue 18 item 2): the
// gateway, two audit-writer instances and two security-monitor instances as processes on a broker
// and a PostgreSQL server of this suite's own (so stopping them leaves the shared ones serving the
// other suites), with real HTTP logins as the load (successes, and brute force on one account after
// another). In turn, mid-window: the broker stopped for 30 s; PostgreSQL restarted; one of the two
// monitors SIGKILLed (the other takes its partitions over); a second writer joins and, while the
// group rebalances, the first is SIGKILLed and restarted. Each fault prints what it did and what
// it counted; the end is judged as every whole-system fault is (./whole-system/accounting.ts).
import { testKafka, waitFor } from '@vigil/testing';
import { PgCluster } from '../support/pg-cluster';
import { freePort } from '../support/processes';
import { FaultBroker, outage } from './support';
import { settleAndCount } from './whole-system/accounting';
import { WholeSystem } from './whole-system/system';

const BROKER_DOWN_MS = 30_000;
const PG_DOWN_MS = 5_000;
/** A 503 may still be answered this long after PostgreSQL is back (a pool dropping dead connections). */
const PG_RECOVERY_MS = 15_000;

describe('the whole system while its dependencies blink and its consumers scale', () => {
  it('seed 000-30, 001-25, 003-09, 001-36: broker stopped 30 s, PostgreSQL restarted, one of two monitors SIGKILLed mid-window, a writer restarted during a rebalance: every answered login exactly once in audit_logs, the outbox drained, every chain verifies, each brute-forced account alerted exactly once, no DLQ record', async () => {
    const pg = new PgCluster(await freePort(), 'fault-whole-system');
    await pg.init();
    const broker = new FaultBroker('fault-whole-system', 19392);
    await broker.start();
    broker.useForHelpers(); // topics, the collector and the services use this broker
    const sys = await WholeSystem.create({
      name: 'wsd',
      databaseUrl: pg.adminUrl,
      writers: 2,
      monitors: 2,
      victims: 80,
    });
    const pgDown = { from: Infinity, to: Infinity };
    try {
      await sys.run(async (load) => {
        // 1. The broker stopped for 30 s: the gateway keeps answering (its outbox holds the events).
        await sys.midWindow();
        await broker.stop();
        const answeredAtStop = load.answered.length;
        console.log(`[fault] broker stopped at ${sys.at()}: ${await sys.counted()}`);
        await outage(BROKER_DOWN_MS);
        const answeredWhileDown = load.answered.length - answeredAtStop;
        const { pending } = await sys.outbox();
        await broker.start();
        console.log(
          `[fault] broker started again at ${sys.at()} after ${BROKER_DOWN_MS / 1000} s: ${answeredWhileDown} logins answered while it was away, ${pending} events waiting in the outbox; ${await sys.counted()}`,
        );
        expect(answeredWhileDown).toBeGreaterThan(20);
        await waitFor(async () => (await sys.outbox()).pending < 10, {
          timeoutMs: 90_000,
          what: 'the outbox drained after the broker came back',
        });
        console.log(`[fault] outbox drained at ${sys.at()}: ${await sys.counted()}`);

        // 2. PostgreSQL restarted (fast shutdown: every service's connections are cut).
        await sys.midWindow();
        await pg.stop();
        pgDown.from = Date.now();
        console.log(`[fault] PostgreSQL stopped at ${sys.at()}`);
        await outage(PG_DOWN_MS);
        await pg.start();
        pgDown.to = Date.now();
        await sys.reconnect();
        const during = load.other.filter((o) => o.at >= pgDown.from).length;
        console.log(
          `[fault] PostgreSQL started again at ${sys.at()} after ${((pgDown.to - pgDown.from) / 1000).toFixed(1)} s (${during} logins answered otherwise meanwhile); ${await sys.counted()}`,
        );
        await sys.answersResume('the PostgreSQL restart');

        // 3. One of the two monitors SIGKILLed mid-window; the other takes its partitions over.
        await sys.midWindow();
        const [, monitorB] = sys.monitors;
        await monitorB.kill('SIGKILL');
        console.log(`[fault] SIGKILL ${monitorB.label} at ${sys.at()}: ${await sys.counted()}`);
        const firingAtKill = sys.firing().length;
        await sys.oneMoreVictim();
        await waitFor(() => sys.firing().length > firingAtKill + 1, {
          timeoutMs: 60_000,
          what: 'alerts from the monitor left alone',
        });
        console.log(
          `[fault] ${sys.firing().length - firingAtKill} alerts since, from ${sys.monitors[0].label} alone, at ${sys.at()}; ${monitorB.label} starts again`,
        );
        monitorB.start();
        await monitorB.ready();

        // 4. A second writer joins; while the group rebalances, the first is SIGKILLed and restarted.
        await sys.midWindow();
        const [writerA, writerB] = sys.writers;
        const admin = testKafka('vigil-test-admin').admin();
        await admin.connect();
        let state: string | undefined;
        try {
          writerB.start();
          state = await waitFor(
            async () => {
              const s = (await admin.describeGroups([sys.writerGroup])).groups[0]?.state;
              return s && s !== 'Stable' ? s : undefined;
            },
            { timeoutMs: 90_000, intervalMs: 20, what: 'the writers group rebalancing' },
          );
          await writerA.kill('SIGKILL');
        } finally {
          await admin.disconnect();
        }
        console.log(
          `[fault] ${writerB.label} joined; the group ${state}: SIGKILL ${writerA.label} at ${sys.at()}: ${await sys.counted()}`,
        );
        await outage(3000);
        writerA.start();
        await Promise.all([writerA.ready(), writerB.ready()]);
        console.log(`[fault] both writers ready at ${sys.at()}: ${await sys.counted()}`);

        await sys.oneMoreVictim();
        await settleAndCount(sys, {
          // While PostgreSQL is away the gateway answers 503 with a problem body, and loses nothing.
          expectedOther: (o) =>
            o.status === 503 &&
            o.contentType.startsWith('application/problem+json') &&
            o.at >= pgDown.from &&
            o.at <= pgDown.to + PG_RECOVERY_MS,
        });
      });
    } finally {
      await broker.reset();
      await pg.destroy();
    }
  }, 600_000);
});
