import { DetectionEngine, type EngineAlert } from './detection-engine';
import { firings, run } from '../testing/engine-runs';
import { onlyRules } from '../testing/test-events';
import { dayAt, DAY_MS, loginFrom, weekdayHabit } from '../testing/profile-events';
import { hourLoginsLearned, type HourProfile, type OffHoursCondition } from './profile-state';
import type { RuleSet } from './rule-definition';

const RULE = 'login-off-hours-per-user';
const home = () => '198.51.100.20';
const rules = () => onlyRules(RULE);
/** The shipped rule with its condition changed. */
const withCondition = (patch: Partial<OffHoursCondition>): RuleSet => {
  const set = rules();
  const r = set.rules[0];
  return { ...set, rules: [{ ...r, condition: { ...(r.condition as OffHoursCondition), ...patch } }] };
};
/** Twelve weekday logins at about 09:00 UTC over two and a half weeks: a learned profile. */
const habit = (user = 'u-ada') => weekdayHabit(user, 12, 9, home);
const after = (user = 'u-ada') => habit(user).at(-1)!;
const nextDay = (days = 1) =>
  Date.parse(after().occurredAt) - 9 * 3600_000 - (Date.parse(after().occurredAt) % 3600_000) + days * DAY_MS;
const keys = (alerts: EngineAlert[]) =>
  firings(alerts).map((a) => `${a.ruleId} ${a.key.kind}:${a.key.value}`);

describe('seed 004-50: logins at hours the user does not usually log in', () => {
  it('seed 004-50: fires (low, T1078) on a 03:00 login of a user who logs in around 09:00; the summary names the hour, never the IP', () => {
    const out = run(rules(), [...habit(), loginFrom(nextDay() + 3 * 3600_000, 'u-ada', '198.51.100.20')]);
    expect(firings(out)).toMatchObject([
      { ruleId: RULE, severity: 'low', key: { kind: 'user', value: 'u-ada' }, count: 1, threshold: 0.05 },
    ]);
    expect(firings(out)[0].mitre).toContain('T1078');
    expect(firings(out)[0].summary).toMatch(
      /login at 03h UTC: 0\.0% of the user's 12 learned logins within ±1h/,
    );
    expect(firings(out)[0].summary).not.toContain('198.51.100');
  });

  it('seed 004-50 near miss: a login an hour off the usual hour (the tolerance) or at the usual hour does not fire', () => {
    expect(
      run(rules(), [...habit(), loginFrom(nextDay() + 10 * 3600_000 + 40 * 60_000, 'u-ada', home())]),
    ).toEqual([]);
    expect(run(rules(), [...habit(), loginFrom(nextDay() + 8 * 3600_000, 'u-ada', home())])).toEqual([]);
    expect(run(rules(), [...habit(), loginFrom(nextDay() + 9 * 3600_000, 'u-ada', home())])).toEqual([]);
  });

  it('seed 004-50 cold start: before 10 logins over 7 days, a login outside 07-20 UTC Mon-Fri fires; inside does not', () => {
    // A new account: Wednesday 23:10, Saturday 11:00 fire; Wednesday 10:00 does not.
    expect(keys(run(rules(), [loginFrom(dayAt(2, 23, 10), 'u-new', home())]))).toEqual([
      `${RULE} user:u-new`,
    ]);
    expect(keys(run(rules(), [loginFrom(dayAt(5, 11), 'u-new', home())]))).toEqual([`${RULE} user:u-new`]);
    expect(run(rules(), [loginFrom(dayAt(2, 10), 'u-new', home())])).toEqual([]);
    const summary = firings(run(rules(), [loginFrom(dayAt(2, 23, 10), 'u-new', home())]))[0].summary;
    expect(summary).toContain(
      'outside organisation hours 07-20 mon-fri (cold start: 0 of 10 logins learned)',
    );
    // Ten logins in two days are not enough history (minDays 7): still judged by the organisation hours.
    const burst = Array.from({ length: 10 }, (_, i) =>
      loginFrom(dayAt(0, 9) + i * 3600_000, 'u-new', home()),
    );
    expect(keys(run(rules(), [...burst, loginFrom(dayAt(1, 22), 'u-new', home())]))).toEqual([
      `${RULE} user:u-new`,
    ]);
  });

  it('seed 004-50 cold start "silent": a new account only learns', () => {
    expect(
      run(withCondition({ coldStart: 'silent' }), [loginFrom(dayAt(2, 23, 10), 'u-new', home())]),
    ).toEqual([]);
    // ...and once it has a history, judges it.
    const out = run(withCondition({ coldStart: 'silent' }), [
      ...habit(),
      loginFrom(nextDay() + 2 * 3600_000, 'u-ada', home()),
    ]);
    expect(keys(out)).toEqual([`${RULE} user:u-ada`]);
  });

  it('seed 004-50 dedup: three logins in one night raise one alert; another unusual login the next day updates it, not a second alert', () => {
    const night = nextDay() + 3 * 3600_000;
    const out = run(rules(), [
      ...habit(),
      loginFrom(night, 'u-ada', home()),
      loginFrom(night + 20 * 60_000, 'u-ada', home()),
      loginFrom(night + 40 * 60_000, 'u-ada', home()),
      loginFrom(night + 14 * 3600_000, 'u-ada', home()), // 17:00: unusual too (history at 09h, and 03h now)
    ]);
    expect(firings(out)).toHaveLength(1);
    expect(out.filter((a) => a.status === 'updated').at(-1)).toMatchObject({ count: 2 });
  });

  it('seed 004-50: learning goes on after an alert, so a new shift becomes normal', () => {
    const nights = Array.from({ length: 6 }, (_, i) =>
      loginFrom(nextDay(i + 1) + 2 * 3600_000, 'u-ada', home()),
    );
    const out = run(rules(), [...habit(), ...nights]);
    // The first night fires; by then 2 of 14 logins are at night (above 5%): the next nights are usual.
    expect(firings(out)).toHaveLength(1);
    expect(firings(out)[0].firstSeen).toBe(Date.parse(nights[0].occurredAt));
    expect(out.every((a) => a.firstSeen === Date.parse(nights[0].occurredAt))).toBe(true);
  });

  it("seed 004-50: the hours are read in the rule's time zone (Europe/Berlin: 05:30 UTC is 07:30 in summer, 06:30 in winter)", () => {
    const berlin = withCondition({ timezone: 'Europe/Berlin' });
    const summer = Date.parse('2026-07-08T05:30:00.000Z'); // a Wednesday, CEST (UTC+2)
    const winter = Date.parse('2026-01-07T05:30:00.000Z'); // a Wednesday, CET (UTC+1)
    expect(run(berlin, [loginFrom(summer, 'u-ber', home())])).toEqual([]);
    expect(firings(run(berlin, [loginFrom(winter, 'u-ber', home())]))[0].summary).toContain(
      'login at 06h Europe/Berlin',
    );
  });

  it('seed 004-50: an account idle for longer than learnDays starts over (cold start), and its profile is swept', () => {
    const engine = new DetectionEngine(rules());
    for (const e of habit()) engine.process(e);
    expect(engine.keysByRule()[RULE]).toBe(1);
    const back = nextDay(41); // 41 days later, a Monday: the sweep forgets the idle profile
    engine.process(loginFrom(back + 9 * 3600_000, 'u-other', home()));
    expect(engine.keysByRule()[RULE]).toBe(1); // u-ada swept, u-other learned
    // u-ada at 06:30 on a weekday: judged by the cold start again (outside 07-20).
    expect(keys(engine.process(loginFrom(back + 6.5 * 3600_000 + 3600_000 * 24, 'u-ada', home())))).toEqual([
      `${RULE} user:u-ada`,
    ]);
  });

  it('seed 004-50 late events: a login within the allowed lateness is judged and learned; one older is dropped, not learned', () => {
    const engine = new DetectionEngine(rules());
    for (const e of habit()) engine.process(e);
    const t = nextDay() + 9 * 3600_000;
    engine.process(loginFrom(t, 'u-ada', home()));
    // 20 s older than the newest event (lateness 30 s): judged (03h? no: 08:59:40, usual) and learned.
    expect(engine.process(loginFrom(t - 20_000, 'u-ada', home()))).toEqual([]);
    const [[, learned]] = engine.snapshot().rules.find((r) => r.id === RULE)!.profiles! as Array<
      [string, HourProfile]
    >;
    expect(hourLoginsLearned(learned)).toBe(14);
    // A night login 60 s behind the newest event is beyond the lateness: dropped, counted as late, not learned.
    const engine2 = new DetectionEngine(rules());
    for (const e of habit()) engine2.process(e);
    engine2.process(loginFrom(nextDay() + 3 * 3600_000 + 120_000, 'u-ada', home()));
    const late = engine2.process(loginFrom(nextDay() + 3 * 3600_000, 'u-ada', home()));
    expect(late).toEqual([]);
    expect(engine2.stats().lateDropped).toBe(1);
  });

  it('seed 004-50: the alert resolves a day (the rule window) after the last unusual login', () => {
    const night = nextDay() + 3 * 3600_000;
    const out = run(rules(), [
      ...habit(),
      loginFrom(night, 'u-ada', home()),
      loginFrom(night + DAY_MS + 6 * 3600_000, 'u-ada', home()),
    ]);
    expect(out.map((a) => a.status)).toEqual(['firing', 'resolved']);
    expect(out[1].at).toBe(night + DAY_MS);
  });
});
