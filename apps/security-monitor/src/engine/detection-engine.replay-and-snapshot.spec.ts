import { DetectionEngine, type EngineSnapshot } from './detection-engine';
import { run } from '../testing/engine-runs';
import { defaultRules, failedLogin, login, refreshReuse, sec, spread } from '../testing/test-events';

// Replaying the same input gives the same alerts; a snapshot taken mid-window resumes without a gap or a double alert.
describe('replay and snapshots', () => {
  const traffic = [
    ...spread(40, 0, 100, (t, i) => failedLogin(t, `user${i % 3}@example.com`, `198.51.100.${i % 20}`)),
    ...spread(20, 0, 100, (t, i) => failedLogin(t, `target${i}@example.com`, '203.0.113.5')),
    ...spread(30, 0, 100, (t, i) => login(t, `u-${i}`)),
    refreshReuse(sec(50), 'u-9'),
    login(sec(900), 'u-late'),
  ].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));

  it('replay with all default rules gives identical alerts', () => {
    const once = run(defaultRules(), traffic);
    expect(once.length).toBeGreaterThan(5);
    expect(run(defaultRules(), traffic)).toEqual(once);
  });

  it('stopping mid-window and resuming from a JSON snapshot gives the same alerts as one uninterrupted run', () => {
    const whole = run(defaultRules(), traffic);
    for (const cut of [10, 45, 70]) {
      const first = new DetectionEngine(defaultRules());
      const before = traffic.slice(0, cut).flatMap((e) => first.process(e));
      const saved = JSON.parse(JSON.stringify(first.snapshot())) as EngineSnapshot;
      const second = new DetectionEngine(defaultRules());
      second.restore(saved);
      const after = traffic.slice(cut).flatMap((e) => second.process(e));
      expect([...before, ...after]).toEqual(whole);
    }
  });

  it('a rule whose version changed starts from empty state on restore; others keep theirs', () => {
    const engine = new DetectionEngine(defaultRules());
    for (const e of spread(4, 0, 20, (t) => failedLogin(t, 'kim'))) engine.process(e);
    const snap = engine.snapshot();
    const bumped = defaultRules();
    bumped.rules = bumped.rules.map((r) =>
      r.id === 'failed-logins-per-user-10m' ? { ...r, version: 2 } : r,
    );
    const next = new DetectionEngine(bumped);
    next.restore(snap);
    const out = spread(2, 25, 10, (t) => failedLogin(t, 'kim')).flatMap((e) => next.process(e));
    expect(out.map((a) => a.ruleId).sort()).toEqual([
      'failed-logins-per-user-15m',
      'failed-logins-per-user-1m-warning',
    ]);
  });

  it('a DLQ replay is counted once, also when replayed again after a restore from the snapshot', () => {
    const engine = new DetectionEngine(defaultRules());
    expect(engine.firstReplay('01a2-replayed')).toBe(true);
    expect(engine.firstReplay('01a2-replayed')).toBe(false);
    const restored = new DetectionEngine(defaultRules());
    restored.restore(JSON.parse(JSON.stringify(engine.snapshot())) as EngineSnapshot);
    expect(restored.firstReplay('01a2-replayed')).toBe(false);
    expect(restored.firstReplay('01a2-other')).toBe(true);
  });

  it('remembers a bounded number of replayed ids (the oldest are forgotten first)', () => {
    const engine = new DetectionEngine(defaultRules());
    for (let i = 0; i <= 10_000; i++) engine.firstReplay(`id-${i}`);
    expect(engine.snapshot().replayed).toHaveLength(10_000);
    expect(engine.firstReplay('id-0')).toBe(true); // forgotten
    expect(engine.firstReplay('id-10000')).toBe(false);
  });
});
