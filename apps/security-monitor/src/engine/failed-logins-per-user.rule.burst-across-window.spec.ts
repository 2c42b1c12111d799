import { firings, run } from '../testing/engine-runs';
import { failedLogin, onlyRules, sec } from '../testing/test-events';

// The window slides: a burst that straddles a minute boundary is caught, which tumbling windows miss.
describe('failed logins per user: a burst across a minute boundary', () => {
  const rules = onlyRules('failed-logins-per-user-1m-warning');

  it('seed 001-36: 3 failures at :50-:58 and 3 at :01-:09 of the next minute fire once', () => {
    const times = [50, 54, 58, 61, 65, 69];
    const alerts = run(
      rules,
      times.map((s) => failedLogin(sec(s), 'dave')),
    );
    expect(firings(alerts)).toHaveLength(1);
    expect(firings(alerts)[0]).toMatchObject({ firstSeen: sec(50), lastSeen: sec(69), count: 6 });
  });

  it('two bursts of 3 a minute and a half apart do not add up', () => {
    const times = [0, 2, 4, 95, 97, 99];
    expect(
      run(
        rules,
        times.map((s) => failedLogin(sec(s), 'dave')),
      ),
    ).toEqual([]);
  });
});
