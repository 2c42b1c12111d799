import type { EventEnvelope } from '@vigil/contracts';
import { CONSECUTIVE_KEEP, DROP_CHUNK } from './consecutive-state';
import { DetectionEngine } from './detection-engine';
import { userOf } from './event-fields';
import { RulesFileError, validateRuleSet } from './rule-validation';
import { byStatus, firings, run } from '../testing/engine-runs';
import { runPartitioned } from '../testing/partitioned-run';
import { defaultRules, junkAggregate, onlyRules, rateLimited, sec } from '../testing/test-events';

const RULE = 'rate-limited-consecutive-unique-ips';
const ROUTE = '/api/v1/auth/token';
const rules = () => onlyRules(RULE);
/** 429s on ROUTE: [seconds, IP] in the order given (delivery order, not necessarily event time). */
const denials = (...xs: Array<[number, string]>): EventEnvelope[] =>
  xs.map(([s, ip]) => rateLimited(sec(s), ip, ROUTE));

describe('rate-limited-consecutive-unique-ips (seed 003-20: three consecutive 429s, each from a new IP)', () => {
  it('seed 003-20: three 429s in a row on one route from three new IPs within 60 s fire once, keyed by the route', () => {
    const alerts = run(rules(), denials([0, '203.0.113.1'], [10, '203.0.113.2'], [20, '203.0.113.3']));
    expect(byStatus(alerts)).toEqual([`${RULE}:firing`]);
    expect(alerts[0].key).toEqual({ kind: 'route', value: ROUTE });
    expect(alerts[0].at).toBe(sec(20));
    expect(alerts[0].count).toBe(3);
    expect(alerts[0].threshold).toBe(3);
    expect(alerts[0].summary).toContain('3 consecutive RATE_LIMITED each from a new IP');
  });

  it('seed 003-20: near miss: a repeat IP in the middle breaks the run (A B A C: no alert), and only two new IPs in a row never fire', () => {
    const abac = denials([0, '203.0.113.1'], [10, '203.0.113.2'], [20, '203.0.113.1'], [30, '203.0.113.3']);
    expect(firings(run(rules(), abac))).toEqual([]);
    // After A B A C, D makes a run of two new IPs (C, D): still nothing; E makes three.
    const more = [...abac, ...denials([40, '203.0.113.4'])];
    expect(firings(run(rules(), more))).toEqual([]);
    const three = [...more, ...denials([50, '203.0.113.5'])];
    expect(firings(run(rules(), three))).toHaveLength(1);
  });

  it('seed 003-20: order matters: the same four 429s (IPs A, A, B, C) fire when the repeat comes last, not when it comes second', () => {
    const repeatLast = denials(
      [0, '203.0.113.1'],
      [10, '203.0.113.2'],
      [20, '203.0.113.3'],
      [30, '203.0.113.1'],
    );
    const repeatSecond = denials(
      [0, '203.0.113.1'],
      [10, '203.0.113.1'],
      [20, '203.0.113.2'],
      [30, '203.0.113.3'],
    );
    expect(firings(run(rules(), repeatLast))).toHaveLength(1);
    expect(firings(run(rules(), repeatSecond))).toEqual([]);
  });

  it('seed 003-20: judged in event time: a late 429 (within the allowed lateness) completes the run where it happened', () => {
    // Delivered A, C, B; in event time A, B, C.
    const late = denials([0, '203.0.113.1'], [20, '203.0.113.3'], [10, '203.0.113.2']);
    const alerts = run(rules(), late);
    expect(byStatus(alerts)).toEqual([`${RULE}:firing`]);
    // Delivered A@0, C@30, then late A@10 and B@20: in event time A A B C, and the repeat breaks the run.
    const broken = denials([0, '203.0.113.1'], [30, '203.0.113.3'], [10, '203.0.113.1'], [20, '203.0.113.2']);
    expect(firings(run(rules(), broken))).toEqual([]);
  });

  it('seed 003-20: near miss: three new IPs spread over more than 60 s, or over two routes, do not fire', () => {
    expect(
      firings(run(rules(), denials([0, '203.0.113.1'], [30, '203.0.113.2'], [61, '203.0.113.3']))),
    ).toEqual([]);
    const twoRoutes = [
      rateLimited(sec(0), '203.0.113.1', ROUTE),
      rateLimited(sec(5), '203.0.113.2', ROUTE),
      rateLimited(sec(10), '203.0.113.3', '/api/v1/auth/login'),
    ];
    expect(firings(run(rules(), twoRoutes))).toEqual([]);
  });

  it('an IP seen more than 60 s before counts as new again', () => {
    const back = denials([0, '203.0.113.1'], [70, '203.0.113.2'], [80, '203.0.113.3'], [90, '203.0.113.1']);
    expect(firings(run(rules(), back))).toHaveLength(1);
  });

  it('junk aggregates (many 429s from one client, summed by the gateway) name no route: neither a step of a run nor a break in one', () => {
    const events = [
      rateLimited(sec(0), '203.0.113.1', ROUTE),
      junkAggregate(sec(5), '203.0.113.1', 500, 'throttled'),
      rateLimited(sec(10), '203.0.113.2', ROUTE),
      rateLimited(sec(20), '203.0.113.3', ROUTE),
    ];
    expect(firings(run(rules(), events))).toHaveLength(1);
    const aggregatesOnly = ['203.0.113.7', '203.0.113.8', '203.0.113.9'].map((ip, i) =>
      junkAggregate(sec(i * 5), ip, 100, 'throttled'),
    );
    expect(firings(run(rules(), aggregatesOnly))).toEqual([]);
  });

  it('keeps firing state across a snapshot: two new IPs, snapshot, restore, a third fires', () => {
    const a = new DetectionEngine(rules());
    denials([0, '203.0.113.1'], [10, '203.0.113.2']).forEach((e) => a.process(e));
    const b = new DetectionEngine(rules());
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(byStatus(b.process(rateLimited(sec(20), '203.0.113.3', ROUTE)))).toEqual([`${RULE}:firing`]);
  });

  it('resolves a full window after the run last held; a later run on the route fires again', () => {
    const alerts = run(rules(), [
      ...denials([0, '203.0.113.1'], [10, '203.0.113.2'], [20, '203.0.113.3']),
      ...denials([200, '203.0.113.4'], [210, '203.0.113.5'], [220, '203.0.113.6']),
    ]);
    expect(byStatus(alerts)).toEqual([`${RULE}:firing`, `${RULE}:resolved`, `${RULE}:firing`]);
  });

  it('memory per route is bounded under a flood from two alternating IPs', () => {
    const engine = new DetectionEngine(rules());
    const flood = Array.from({ length: 5000 }, (_, i) =>
      rateLimited(sec(i / 100), i % 2 ? '203.0.113.1' : '203.0.113.2', ROUTE),
    );
    const out = flood.flatMap((e) => engine.process(e));
    expect(firings(out)).toEqual([]);
    const snap = engine.snapshot();
    const state = snap.rules.find((r) => r.id === RULE)!.keys[0][1] as { ct: number[] };
    expect(state.ct.length).toBeLessThanOrEqual(CONSECUTIVE_KEEP + DROP_CHUNK);
  });

  it('a flood interleaved with runs gives the same alerts live and through snapshots taken every 500 events (run lengths saved or rebuilt alike)', () => {
    const events = Array.from({ length: 3000 }, (_, i) =>
      rateLimited(sec(i / 20), i % 97 === 0 ? `198.51.100.${i % 250}` : `203.0.113.${i % 3}`, ROUTE),
    );
    const live = run(rules(), events);
    let engine = new DetectionEngine(rules());
    const restored: typeof live = [];
    events.forEach((e, i) => {
      if (i % 500 === 499) {
        const snap = JSON.parse(JSON.stringify(engine.snapshot()));
        engine = new DetectionEngine(rules());
        engine.restore(snap);
      }
      restored.push(...engine.process(e));
    });
    expect(firings(live).length).toBeGreaterThan(0);
    expect(restored).toEqual(live);
    // Saved state from before run lengths were kept (no `cr`) loads too: they are rebuilt.
    const a = new DetectionEngine(rules());
    denials([0, '203.0.113.1'], [10, '203.0.113.2']).forEach((e) => a.process(e));
    const snap = JSON.parse(JSON.stringify(a.snapshot()));
    for (const r of snap.rules) for (const [, k] of r.keys) delete k.cr;
    const b = new DetectionEngine(rules());
    b.restore(snap);
    expect(byStatus(b.process(rateLimited(sec(20), '203.0.113.3', ROUTE)))).toEqual([`${RULE}:firing`]);
  });

  it('with newValues: false, a run needs pairwise different values only (A B A C fires on B A C; A B A does not)', () => {
    const def = {
      ...onlyRules(RULE).rules[0],
      condition: { kind: 'consecutive', field: 'ip', n: 3, newValues: false },
    };
    const set = validateRuleSet({ version: 1, rules: [def] });
    const abacd = denials([0, '203.0.113.1'], [5, '203.0.113.2'], [10, '203.0.113.1'], [15, '203.0.113.3']);
    // B A C: pairwise different, so three in a row (the A is a repeat of the window, but not of the run).
    expect(firings(run(set, abacd))).toHaveLength(1);
    expect(firings(run(set, abacd.slice(0, 3)))).toEqual([]);
  });

  it.each([1, 2, 3, 4])(
    'seed 003-20: through the keyed stage with %i partitions: the same alerts as one engine',
    (partitions) => {
      const events = [
        ...denials([0, '203.0.113.1'], [10, '203.0.113.2'], [20, '203.0.113.3']),
        ...denials([100, '203.0.113.1'], [110, '203.0.113.1'], [120, '203.0.113.2']),
        rateLimited(sec(300), '203.0.113.1', '/api/v1/auth/login'),
        rateLimited(sec(305), '203.0.113.2', '/api/v1/auth/login'),
        rateLimited(sec(310), '203.0.113.3', '/api/v1/auth/login'),
      ];
      // Spread the 429s over input partitions as a user-keyed topic would (the subject differs per event here).
      const keyOf = (e: EventEnvelope) => userOf(e) ?? e.id;
      const spreadOut = events.map((e, i) => ({ ...e, subject: { username: `client${i}` } }));
      const split = runPartitioned(defaultRules(), spreadOut, { partitions, stepSeconds: 5, keyOf });
      const one = run(defaultRules(), spreadOut);
      const summary = (xs: typeof one) =>
        xs.filter((a) => a.ruleId === RULE).map((a) => `${a.status} ${a.key.value} ${a.at}`);
      expect(summary(split)).toEqual(summary(one));
      expect(firings(split, RULE).map((a) => a.key.value)).toEqual([ROUTE, '/api/v1/auth/login']);
    },
  );
});

describe('consecutive condition validation', () => {
  const base = () => onlyRules(RULE).rules[0];
  const problems = (condition: unknown, key = 'route') => {
    try {
      validateRuleSet({ version: 1, rules: [{ ...base(), key, condition }] });
      return [];
    } catch (err) {
      return (err as RulesFileError).problems;
    }
  };

  it('names every bad field', () => {
    expect(problems({ kind: 'consecutive', field: 'route', n: 1, newValues: 'yes', extra: 1 })).toEqual([
      `rule ${RULE}.condition.extra: unknown field`,
      `rule ${RULE}.condition.field: one of user, ip, network, user_agent`,
      `rule ${RULE}.condition.n: an integer 2..50`,
      `rule ${RULE}.condition.newValues: true or false`,
    ]);
  });

  it('refuses a global key (merged counts keep no order) and accepts the shipped rule', () => {
    expect(problems({ kind: 'consecutive', field: 'ip', n: 3 }, 'global')).toEqual([
      `rule ${RULE}.condition.kind: consecutive needs a key other than global (merged counts keep no order)`,
    ]);
    expect(problems({ kind: 'consecutive', field: 'ip', n: 3, newValues: true })).toEqual([]);
  });

  it('knows the new key kinds, and a response needing a user or IP is refused on them', () => {
    const refused = () =>
      validateRuleSet({
        version: 1,
        rules: [{ ...base(), response: { action: 'BLOCK_IP', ttlSeconds: 60, enabled: true, dryRun: true } }],
      });
    expect(refused).toThrow(/BLOCK_IP needs a rule keyed by ip or user_ip, not route/);
    expect(problems({ kind: 'consecutive', field: 'ip', n: 3 }, 'password_fingerprint')).toEqual([]);
    expect(problems({ kind: 'consecutive', field: 'ip', n: 3 }, 'isp')[0]).toMatch(
      /key: one of user, ip, user_ip, global, route, password_fingerprint/,
    );
  });
});
