import { DetectionEngine, type EngineSnapshot } from './detection-engine';
import { firings, run } from '../testing/engine-runs';
import { failedLogin, login, onlyRules, sec, spread } from '../testing/test-events';
import { parseRuleSet } from './rule-validation';

// Beyond the seeds' thresholds, what users of Wazuh / Elastic / Entra expect (DESIGN.md, Detection).
describe('failures then a success, and one account from many IPs', () => {
  const sequence = onlyRules('failures-then-success-per-user');
  const USER = 'u-42';

  it('5 failed logins then a success on the same account within 4 minutes fires (T1110) with a dry-run REVOKE_SESSIONS', () => {
    const events = [...spread(5, 0, 100, (t) => failedLogin(t, USER)), login(sec(150), USER)];
    const alerts = firings(run(sequence, events));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      ruleId: 'failures-then-success-per-user',
      key: { kind: 'user', value: USER },
      severity: 'high',
      threshold: 5,
      at: sec(150),
      response: { action: 'REVOKE_SESSIONS', dryRun: true },
    });
    expect(alerts[0].summary).toContain('after 5 FAILED_AUTH_LOGIN');
  });

  it('near misses: 4 failures then a success; 5 failures but the success 5 minutes later; the success before the failures; failures on another account', () => {
    expect(run(sequence, [...spread(4, 0, 100, (t) => failedLogin(t, USER)), login(sec(150), USER)])).toEqual(
      [],
    );
    expect(run(sequence, [...spread(5, 0, 20, (t) => failedLogin(t, USER)), login(sec(320), USER)])).toEqual(
      [],
    );
    expect(run(sequence, [login(sec(0), USER), ...spread(6, 10, 100, (t) => failedLogin(t, USER))])).toEqual(
      [],
    );
    expect(
      run(sequence, [...spread(5, 0, 100, (t) => failedLogin(t, 'u-other')), login(sec(150), USER)]),
    ).toEqual([]);
  });

  it('the same wrong password again does not count towards the sequence', () => {
    const events = [
      ...spread(5, 0, 100, (t, i) => failedLogin(t, USER, '198.51.100.10', i > 0)),
      login(sec(150), USER),
    ];
    expect(run(sequence, events)).toEqual([]);
  });

  it('a late failure still completes the sequence if it happened before the success (event time)', () => {
    // The failure at 130 s arrives after the one at 140 s (within the allowed lateness), still before the success.
    const f = [0, 25, 50, 130, 140].map((s) => failedLogin(sec(s), USER));
    expect(firings(run(sequence, [f[0], f[1], f[2], f[4], f[3], login(sec(150), USER)]))).toHaveLength(1);
  });

  it('the sequence state survives a snapshot', () => {
    const first = new DetectionEngine(sequence);
    for (const e of spread(5, 0, 100, (t) => failedLogin(t, USER))) first.process(e);
    const second = new DetectionEngine(sequence);
    second.restore(JSON.parse(JSON.stringify(first.snapshot())) as EngineSnapshot);
    expect(firings(second.process(login(sec(150), USER)))).toHaveLength(1);
  });

  it('a sequence condition with errors is refused, naming the fields', () => {
    const bad = {
      version: 1,
      rules: [{ ...sequence.rules[0], condition: { kind: 'sequence', after: { types: ['NOPE'] }, min: 0 } }],
    };
    expect(() => parseRuleSet(JSON.stringify(bad))).toThrow(
      /condition\.after\.types: event types from the contracts \(unknown: NOPE\).*condition\.min: an integer 1\.\.1000/,
    );
  });

  it('a global sequence is refused: global rules run on merged counts, which keep no order', () => {
    const global = { version: 1, rules: [{ ...sequence.rules[0], key: 'global', response: undefined }] };
    expect(() => parseRuleSet(JSON.stringify(global))).toThrow(
      /condition\.kind: a sequence needs a user, ip or user_ip key, not global/,
    );
  });

  const manyIps = onlyRules('one-account-many-ips');
  it('failed logins on one account from 6 distinct IPs in 10 minutes fire; from 5 IPs do not', () => {
    const from = (ips: number) =>
      spread(12, 0, 500, (t, i) => failedLogin(t, 'target@example.com', `198.51.100.${1 + (i % ips)}`));
    expect(firings(run(manyIps, from(6))).map((a) => [a.ruleId, a.key.value])).toEqual([
      ['one-account-many-ips', 'target@example.com'],
    ]);
    expect(run(manyIps, from(5))).toEqual([]);
  });
});
