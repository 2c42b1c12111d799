import type { Logger } from 'winston';
import type { ConsumedEvent, EventProducer, HandlerContext } from '@vigil/kafka';
import type { EngineAlert } from '../engine/detection-engine';
import { failedLogin, onlyRules } from '../testing/test-events';
import type { PartitionStateRepository } from './partition-state.repository';
import { StageProcessor } from './stage-processor';
import { UserStage } from './stages/user-stage';

// The idle clock (MONITOR_IDLE_SECONDS) moves a quiet partition's event clock to the wall clock.
// Quiet means the source is silent while we hear it, not that we cannot hear it: after a broker
// outage the first fetch answers before the backlog lands, and moving the clock then would drop
// the backlog (events stamped during the outage) as late. Wall time is simulated.
describe('StageProcessor idle clock', () => {
  const RULE = 'failed-logins-per-user-1m-warning'; // > 5 failures per user per minute
  const T0 = Date.parse('2026-01-15T09:00:00.000Z');
  let wall = T0;
  let offset = 0;

  beforeEach(() => {
    wall = T0;
    offset = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => wall);
  });
  afterEach(() => jest.restoreAllMocks());

  function userStage() {
    const alerts: EngineAlert[] = [];
    const repository = {
      load: async () => undefined,
      save: async () => true,
    } as unknown as PartitionStateRepository;
    const producer = { send: async () => undefined } as unknown as EventProducer;
    const logger = {
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    } as unknown as Logger;
    const stage = new StageProcessor({
      stage: new UserStage(onlyRules(RULE), producer, { repartition: 'rep', partials: 'part' }),
      groupId: 'g',
      topic: 'in',
      rules: () => onlyRules(RULE),
      engineOptions: { allowedLatenessMs: 30_000 },
      repository,
      alerts: { publish: async (a: EngineAlert[]) => void alerts.push(...a) },
      logger,
      idleMs: 10_000,
      saveIntervalMs: 1000,
    });
    stage.assigned([0]);
    const ctx: HandlerContext = {
      heartbeat: async () => undefined,
      topic: 'in',
      partition: 0,
      commitUpTo: () => undefined,
    };
    const deliver = (times: number[]) =>
      stage.handle(
        times.map((t): ConsumedEvent => ({
          event: failedLogin(t, 'victim@example.com'),
          topic: 'in',
          partition: 0,
          offset: String(offset++),
          key: 'victim',
          headers: {},
          timestamp: t,
        })),
        ctx,
      );
    return { stage, alerts, deliver };
  }

  it('a broker outage: the backlog stamped during it still counts when the first fetch after it answers before the backlog lands', async () => {
    const { stage, alerts, deliver } = userStage();
    await deliver([T0 - 9000, T0 - 7000, T0 - 5000, T0 - 3000, T0 - 1000]); // five failures, live
    // The broker goes away at T0 + 0.5 s; the sixth failure (T0 + 1 s) waits in the producer.
    for (wall = T0 + 1000; wall <= T0 + 31_000; wall += 1000) await stage.tickIdle(wall, () => false);
    // Back at T0 + 32 s: a fetch answers (nothing yet), the idle tick runs; then the backlog lands.
    wall = T0 + 32_000;
    await stage.tickIdle(wall, () => true);
    wall = T0 + 33_000;
    await deliver([T0 + 1000]);
    expect(alerts.filter((a) => a.ruleId === RULE).map((a) => a.status)).toEqual(['firing']);
    expect(stage.engines()[0].stats().lateDropped).toBe(0);
  });

  it('heard silence still moves the clock after the idle time: the alert resolves on a quiet stream', async () => {
    const { stage, alerts, deliver } = userStage();
    await deliver([T0 - 9000, T0 - 7000, T0 - 5000, T0 - 3000, T0 - 1000, T0]);
    expect(alerts.map((a) => a.status)).toEqual(['firing']);
    for (wall = T0 + 1000; wall <= T0 + 95_000; wall += 1000) await stage.tickIdle(wall, () => true);
    expect(alerts.map((a) => a.status)).toEqual(['firing', 'resolved']);
  });

  it('silence is not counted while the input cannot be heard', async () => {
    const { stage, deliver } = userStage();
    await deliver([T0]);
    const before = stage.engines()[0].stats().watermark;
    for (wall = T0 + 1000; wall <= T0 + 60_000; wall += 1000) await stage.tickIdle(wall, () => false);
    for (wall = T0 + 61_000; wall < T0 + 70_000; wall += 1000) await stage.tickIdle(wall, () => true); // heard for 9 s
    expect(stage.engines()[0].stats().watermark).toBe(before);
    await stage.tickIdle((wall = T0 + 71_000), () => true); // heard for 10 s
    expect(stage.engines()[0].stats().watermark).toBe(T0 + 71_000 - 30_000);
  });
});
