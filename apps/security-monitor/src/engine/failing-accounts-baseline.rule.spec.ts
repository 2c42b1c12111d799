import { DetectionEngine } from './detection-engine';
import { parseRuleSet, RulesFileError } from './rule-validation';
import { firings, run } from '../testing/engine-runs';
import { runPartitioned } from '../testing/partitioned-run';
import { defaultRules, failedLogin, onlyRules, sec, spread } from '../testing/test-events';
import type { EventEnvelope } from '@vigil/contracts';

// Issue 19 item 1: "an unusual number of distinct accounts failing relative to a moving baseline".
const RULE = 'failing-accounts-above-baseline';
const rules = onlyRules(RULE);

/** The distributed spray: `n` accounts tried once each, each from its own address, over `minutes`. */
const spray = (n: number, fromSec: number, minutes: number, tag = 'spray') =>
  spread(n, fromSec, minutes * 60, (t, i) =>
    failedLogin(t, `${tag}-${i}@example.com`, `10.${(i >> 8) & 255}.${i & 255}.${7 + (i % 3)}`),
  );

/** Ordinary life: `perPeriod` accounts mistyping their password in each 10-minute period, for `periods` periods. */
const background = (periods: number, perPeriod: (p: number) => number) =>
  Array.from({ length: periods }, (_, p) =>
    spread(perPeriod(p), p * 600 + 1, 590, (t, i) =>
      failedLogin(t, `staff-${p}-${i}@example.com`, '198.51.100.7'),
    ),
  ).flat();

const byTime = (events: EventEnvelope[]) =>
  [...events].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));

describe('failing-accounts-above-baseline (issue 19 item 1; seeds 000-18, 004-50)', () => {
  it('seed 000-18: 300 accounts tried once each from 300 addresses over 30 minutes (10 a minute) fire it once, and no other default rule fires', () => {
    // T0 is 09:00, a period boundary: the spray fills three periods with 100 accounts each.
    const events = spray(300, 0, 30);
    const all = run(defaultRules(), events);
    expect(firings(all).map((a) => a.ruleId)).toEqual([RULE]);
    const [alert] = firings(all);
    expect(alert).toMatchObject({ key: { kind: 'global', value: '*' }, severity: 'high', threshold: 60 });
    // Cold start (no history yet): the 61st distinct account of the first period crosses 60.
    expect(alert.at).toBe(Date.parse(events[60].occurredAt));
    expect(alert.summary).toMatch(
      /61 distinct accounts this period \(cold start: 0 of 6 periods known; threshold > 60\)/,
    );
    expect(all.filter((a) => a.ruleId === RULE && a.status === 'resolved')).toHaveLength(0); // still open at the end
  });

  it('near miss: 60 accounts in a period during the cold start stay silent, 61 fire', () => {
    expect(run(rules, spray(60, 0, 9))).toEqual([]);
    expect(firings(run(rules, spray(61, 0, 9)))).toHaveLength(1);
  });

  it('against a learned baseline (7 hours of 5..11 accounts a period) 40 spray accounts fire; 20 do not', () => {
    const history = background(42, (p) => 5 + (p % 7)); // mean 8, sd 2: threshold max(30, 8 + 4 * 2.83) = 30
    const at = 42 * 600; // the 43rd period
    const withSpray = (n: number) =>
      byTime([...history, ...background(1, () => 8).map(shift(at)), ...spray(n, at + 5, 9)]);
    const fired = firings(run(rules, withSpray(40)));
    expect(fired).toHaveLength(1);
    expect(fired[0].threshold).toBe(30);
    expect(fired[0].summary).toMatch(/\(baseline 8\.\d over 36 periods; threshold > 30\)/);
    expect(run(rules, withSpray(20))).toEqual([]);
  });

  it('a busy system learns its own level during the cold start: 100 accounts a period is normal there, 100 more is not', () => {
    const history = background(12, () => 100);
    const start = sec(12 * 600);
    const next = (n: number) =>
      run(
        rules,
        byTime([...history, ...background(1, () => 100).map(shift(12 * 600)), ...spray(n, 12 * 600 + 5, 9)]),
      ).filter((a) => a.status === 'firing' && a.at >= start);
    // mean 100, sd 0: threshold 100 + 4 * sqrt(100) = 140
    expect(next(30)).toEqual([]);
    expect(next(60)).toMatchObject([{ threshold: 140 }]);
  });

  it('an attack cannot make itself the baseline: periods above their threshold are not learned, however long it lasts', () => {
    const quiet = background(6, () => 4);
    const attack = Array.from({ length: 30 }, (_, p) =>
      spray(500, (6 + p) * 600 + 1, 9.5, `attack-${p}`),
    ).flat();
    const out = run(rules, byTime([...quiet, ...attack]));
    // One alert, open for the whole five hours: updated, never resolved, its threshold never raised.
    expect(firings(out)).toHaveLength(1);
    expect(out.filter((a) => a.status === 'resolved')).toEqual([]);
    expect(new Set(out.map((a) => a.threshold))).toEqual(new Set([30]));
  });

  it('global stage: three partitions raise the same alert as one engine (values merged across partitions)', () => {
    const events = byTime([...background(8, () => 6), ...spray(150, 8 * 600 + 5, 9)]);
    const one = firings(run(rules, events));
    const split = firings(
      runPartitioned(rules, events, { partitions: 3, stepSeconds: 5, keyOf: (e) => e.subject!.username! }),
    );
    expect(one).toHaveLength(1);
    expect(split.map((a) => [a.alertId, a.ruleId, a.threshold])).toEqual(
      one.map((a) => [a.alertId, a.ruleId, a.threshold]),
    );
    // The crossing is the same account in both topologies (the merge judges values in event time).
    expect(Math.abs(split[0].at - one[0].at)).toBeLessThanOrEqual(5_000);
  });

  it('the history survives a snapshot and restore (the state row)', () => {
    const engine = new DetectionEngine(rules);
    for (const e of background(8, () => 6)) engine.process(e);
    const restored = new DetectionEngine(rules);
    restored.restore(JSON.parse(JSON.stringify(engine.snapshot())));
    // With 8 known periods the threshold is 30, not the cold start's 60.
    const out = spray(31, 8 * 600 + 5, 9).flatMap((e) => restored.process(e));
    expect(firings(out)).toMatchObject([{ threshold: 30 }]);
  });

  it('a late event within the allowed lateness counts in its own period, even after the next period opened', () => {
    const engine = new DetectionEngine(rules, { allowedLatenessMs: 60_000 });
    for (const e of spray(50, 0, 9)) engine.process(e);
    expect(engine.process(failedLogin(sec(601), 'x@example.com'))).toEqual([]); // the next period opens
    // Watermark 541 s: the first period is still open, so eleven late accounts at 590 s make it 61.
    const late = spray(11, 590, 0.1, 'late').flatMap((e) => engine.process(e));
    expect(firings(late)).toMatchObject([
      { summary: expect.stringMatching(/^firing: .* 61 distinct accounts this period/) },
    ]);
  });

  it('the rules file names every bad field of a baseline condition', () => {
    const file = (condition: object) =>
      JSON.stringify({
        version: 1,
        rules: [{ ...rules.rules[0], condition }],
      });
    expect(() =>
      parseRuleSet(
        file({ kind: 'baseline', field: 'ua', history: 1, minHistory: 5, factor: -1, minGt: 'x', extra: 1 }),
      ),
    ).toThrow(RulesFileError);
    try {
      parseRuleSet(
        file({ kind: 'baseline', field: 'ua', history: 1, minHistory: 5, factor: -1, minGt: 'x', extra: 1 }),
      );
    } catch (err) {
      expect((err as RulesFileError).problems).toEqual([
        `rule ${RULE}.condition.extra: unknown field`,
        `rule ${RULE}.condition.field: one of user, ip, network, user_agent`,
        `rule ${RULE}.condition.history: an integer 2..1000 (periods remembered)`,
        `rule ${RULE}.condition.factor: a number 0..100 (standard deviations above the mean)`,
        `rule ${RULE}.condition.minGt: an integer 0..4999 (the floor of the threshold)`,
        `rule ${RULE}.condition.coldStartGt: an integer 0..4999 (the threshold before minHistory periods)`,
      ]);
    }
  });
});

const shift = (bySec: number) => (e: EventEnvelope) => ({
  ...e,
  occurredAt: new Date(Date.parse(e.occurredAt) + bySec * 1000).toISOString(),
});
