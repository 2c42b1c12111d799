import { createHash } from 'node:crypto';
import type { EventEnvelope } from '@vigil/contracts';
import { DetectionEngine } from './detection-engine';
import { userOf } from './event-fields';
import { fingerprintKey } from './password-fingerprint';
import { firings, run } from '../testing/engine-runs';
import { runPartitioned } from '../testing/partitioned-run';
import {
  defaultRules,
  failedLogin,
  failedLoginWithFingerprint,
  fingerprintOf,
  onlyRules,
  sec,
  spread,
} from '../testing/test-events';

const RULE = 'password-spray-shared-password';
/** The moving-baseline rule (distinct accounts failing system-wide): the other half of issue 19 item 1. */
const BASELINE = 'failing-accounts-above-baseline';
const FP = fingerprintOf('Winter2026!');
const FP_KEY = `fp:${createHash('sha256').update(FP).digest('hex').slice(0, 12)}`;

/** The scenario: 300 accounts tried once each from 300 addresses over 30 minutes (10 a minute). */
const lowAndSlow = (password: (i: number) => string): EventEnvelope[] =>
  spread(300, 0, 1800, (t, i) =>
    failedLoginWithFingerprint(t, `victim${i}@example.com`, `10.${i >> 8}.${i & 255}.7`, password(i)),
  );

describe('password-spray-shared-password (seed 000-18: distributed spray by password fingerprint)', () => {
  it('seed 000-18: 300 accounts, 300 IPs, 30 minutes, one password: no rule older than issue 19 fires, the spray rule fires exactly once', () => {
    const alerts = run(
      defaultRules(),
      lowAndSlow(() => FP),
    );
    // Besides this rule only the moving baseline fires (it sees 300 accounts failing, whatever the password).
    expect(
      firings(alerts)
        .map((a) => a.ruleId)
        .sort(),
    ).toEqual([BASELINE, RULE]);
    expect(firings(alerts, RULE)).toHaveLength(1);
    const [a] = firings(alerts, RULE);
    expect(a.key).toEqual({ kind: 'password_fingerprint', value: FP_KEY });
    expect(a.severity).toBe('high');
    expect(a.mitre).toContain('T1110.003');
    // The sixth account crosses "more than 5": 6 accounts, 3 minutes in.
    expect(a.count).toBe(6);
    expect(a.at).toBe(sec(5 * 6));
    expect(a.summary).toContain('6 distinct accounts');
    expect(a.sampleEventIds).toHaveLength(6);
  });

  it('seed 000-18: the fingerprint itself appears in no alert (key, summary, any field), only fp:<12 hex of its sha256>', () => {
    const alerts = run(
      defaultRules(),
      lowAndSlow(() => FP),
    );
    expect(alerts.length).toBeGreaterThan(1); // firing, updates
    const text = JSON.stringify(alerts);
    expect(text).not.toContain(FP);
    expect(text).not.toContain(FP.split('.')[1]);
    for (const a of alerts.filter((x) => x.ruleId === RULE)) expect(a.key.value).toMatch(/^fp:[0-9a-f]{12}$/);
    expect(fingerprintKey(FP)).toBe(FP_KEY);
  });

  it('seed 000-18: the same volume with 300 different passwords: this rule stays silent (only the moving baseline sees it)', () => {
    const alerts = run(
      defaultRules(),
      lowAndSlow((i) => fingerprintOf(`pw-${i}`)),
    );
    expect(firings(alerts, RULE)).toEqual([]);
    expect(firings(alerts).map((a) => a.ruleId)).toEqual([BASELINE]);
  });

  it('seed 000-18: near miss: one password on 5 accounts in the hour does not fire, on 6 it does', () => {
    const tries = (n: number) =>
      spread(n, 0, 3000, (t, i) => failedLoginWithFingerprint(t, `n${i}@example.com`, `192.0.2.${i}`, FP));
    expect(firings(run(onlyRules(RULE), tries(5)))).toEqual([]);
    expect(firings(run(onlyRules(RULE), tries(6)))).toHaveLength(1);
  });

  it('seed 000-18: six accounts spread over more than the hour do not fire', () => {
    const slow = spread(6, 0, 3600 * 1.2, (t, i) =>
      failedLoginWithFingerprint(t, `s${i}@example.com`, `192.0.2.${i}`, FP),
    );
    expect(firings(run(onlyRules(RULE), slow))).toEqual([]);
  });

  it('counts accounts, not attempts: one account failing 50 times with the same password is not a spray', () => {
    const one = spread(50, 0, 600, (t, i) =>
      failedLoginWithFingerprint(t, 'alice@example.com', `192.0.2.${i}`, FP),
    );
    expect(firings(run(onlyRules(RULE), one))).toEqual([]);
  });

  it('a failure the gateway flags `repeated` (the same wrong password again on that account) does not count', () => {
    const events = [
      ...spread(5, 0, 60, (t, i) => failedLoginWithFingerprint(t, `r${i}@example.com`, '192.0.2.1', FP)),
      failedLoginWithFingerprint(sec(100), 'r5@example.com', '192.0.2.1', FP, true),
    ];
    expect(firings(run(onlyRules(RULE), events))).toEqual([]);
  });

  it('fingerprints of two rotation epochs are different passwords to the rule (3 + 3 accounts: silent)', () => {
    const body = FP.split('.')[1];
    const events = spread(6, 0, 600, (t, i) =>
      failedLoginWithFingerprint(t, `e${i}@example.com`, '192.0.2.9', `${i < 3 ? 20458 : 20459}.${body}`),
    );
    expect(firings(run(onlyRules(RULE), events))).toEqual([]);
  });

  it('failures without a fingerprint, or with a malformed one, are not counted by it', () => {
    const events = [
      ...spread(6, 0, 60, (t, i) => failedLogin(t, `x${i}@example.com`, '192.0.2.3')),
      ...spread(6, 100, 60, (t, i) =>
        failedLoginWithFingerprint(t, `y${i}@example.com`, '192.0.2.4', 'not-a-fp'),
      ),
    ];
    expect(firings(run(onlyRules(RULE), events))).toEqual([]);
  });

  it('a snapshot taken mid-spray and restored carries on: one firing, none repeated', () => {
    const events = lowAndSlow(() => FP);
    const a = new DetectionEngine(defaultRules());
    const before = events.slice(0, 4).flatMap((e) => a.process(e));
    const b = new DetectionEngine(defaultRules());
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    const snapshotText = JSON.stringify(a.snapshot());
    expect(snapshotText).toContain(FP_KEY);
    expect(snapshotText).not.toContain(FP); // saved state holds the digest only
    const after = events.slice(4).flatMap((e) => b.process(e));
    expect(firings([...before, ...after], RULE)).toHaveLength(1);
    expect(firings(after, RULE)[0].count).toBe(6);
  });

  it.each([1, 2, 3, 4])(
    'seed 000-18: through the keyed stage with %i partitions: the same single firing as one engine',
    (partitions) => {
      const events = lowAndSlow(() => FP);
      const keyOf = (e: EventEnvelope) => userOf(e) ?? e.id;
      const split = runPartitioned(defaultRules(), events, { partitions, stepSeconds: 30, keyOf });
      const one = run(defaultRules(), events);
      const mine = (xs: typeof one) =>
        xs
          .filter((x) => x.ruleId === RULE && x.status !== 'updated') // updates are throttled per step
          // (not `at`: a round delivers its records by source partition, so the crossing may be
          // judged at a later event of the same round, as for every keyed rule)
          .map((x) => `${x.status} ${x.key.value} ${x.count}`);
      expect(mine(split)).toEqual(mine(one));
      expect(firings(split, RULE)).toHaveLength(1);
    },
  );
});
