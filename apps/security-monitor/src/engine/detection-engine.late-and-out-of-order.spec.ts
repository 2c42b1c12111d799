import { DetectionEngine } from './detection-engine';
import { firings, run } from '../testing/engine-runs';
import { failedLogin, login, onlyRules, sec } from '../testing/test-events';

// Event time, not arrival order: a late event within the allowed lateness counts where it belongs.
describe('late and out-of-order events', () => {
  const rules = onlyRules('failed-logins-per-user-1m-warning');
  const burst = [0, 8, 16, 24, 32, 40].map((s) => failedLogin(sec(s), 'frank'));

  it('a burst delivered in shuffled order (within the lateness) fires once, with the same evidence as in order', () => {
    const shuffled = [burst[3], burst[0], burst[5], burst[1], burst[4], burst[2]];
    const [inOrder] = firings(run(rules, burst));
    const [outOfOrder, ...more] = firings(run(rules, shuffled, { allowedLatenessMs: 45_000 }));
    expect(more).toEqual([]);
    expect(outOfOrder).toMatchObject({
      alertId: inOrder.alertId,
      firstSeen: sec(0),
      lastSeen: sec(40),
      count: 6,
    });
    expect(new Set(outOfOrder.sampleEventIds)).toEqual(new Set(inOrder.sampleEventIds));
  });

  it('a late event within the lateness completes a burst that ended before it arrived', () => {
    const engine = new DetectionEngine(rules, { allowedLatenessMs: 30_000 });
    const tight = [0, 5, 10, 15, 20, 25].map((s) => failedLogin(sec(s), 'frank'));
    const out = [
      ...tight.slice(1).map((e) => engine.process(e)),
      engine.process(login(sec(28), 'u-other')),
    ].flat();
    expect(out).toEqual([]);
    const late = engine.process(tight[0]); // t=0 arrives after t=28: 28 s late, within the 30 s allowed
    expect(late).toMatchObject([{ status: 'firing', count: 6, firstSeen: sec(0), lastSeen: sec(25) }]);
  });

  it('an event older than the watermark is dropped and counted, not silently folded in', () => {
    const engine = new DetectionEngine(rules, { allowedLatenessMs: 30_000 });
    for (const e of burst.slice(1)) engine.process(e);
    engine.process(login(sec(100), 'u-other')); // watermark now 70 s
    expect(engine.process(burst[0])).toEqual([]);
    expect(engine.stats()).toMatchObject({ lateDropped: 1, events: 6 });
  });

  it('an out-of-order event also counts in the later windows that contain it', () => {
    const engine = new DetectionEngine(rules, { allowedLatenessMs: 60_000 });
    const early = failedLogin(sec(5), 'gina');
    const later = [10, 20, 30, 40, 50].map((s) => failedLogin(sec(s), 'gina'));
    expect(later.flatMap((e) => engine.process(e))).toEqual([]);
    // Alone, the window ending at 5 s holds one event; the window ending at 50 s holds all six.
    expect(engine.process(early)).toMatchObject([{ status: 'firing', count: 6 }]);
  });
});
