import { byStatus, run } from '../testing/engine-runs';
import { failedLogin, login, onlyRules, sec, spread } from '../testing/test-events';

// One attack is one alert that updates, not a thousand: firing -> updated (throttled) -> resolved.
describe('alert lifecycle', () => {
  const rules = onlyRules('failed-logins-per-user-1m-warning');

  it('seed 001-04: fires on the first crossing, updates at most every 30 s of event time, resolves a window after it last held', () => {
    // 2 minutes of 1 failure/second for one account: one alert, not 115.
    const attack = spread(120, 0, 120, (t) => failedLogin(t, 'henry'));
    const tail = [login(sec(300), 'u-other')]; // event time moves on; the watermark passes the window
    const alerts = run(rules, [...attack, ...tail]);
    expect(byStatus(alerts)).toEqual([
      'failed-logins-per-user-1m-warning:firing',
      'failed-logins-per-user-1m-warning:updated',
      'failed-logins-per-user-1m-warning:updated',
      'failed-logins-per-user-1m-warning:updated',
      'failed-logins-per-user-1m-warning:resolved',
    ]);
    const [firing, , , , resolved] = alerts;
    expect(new Set(alerts.map((a) => a.alertId)).size).toBe(1);
    expect(firing).toMatchObject({ count: 6, firstSeen: sec(0), lastSeen: sec(5) });
    expect(alerts[1].at - firing.at).toBeGreaterThanOrEqual(30_000);
    expect(resolved).toMatchObject({
      count: 120,
      firstSeen: sec(0),
      lastSeen: sec(119),
      at: sec(119) + 60_000,
    });
    expect(resolved.sampleEventIds).toHaveLength(10);
    expect(resolved.sampleEventIds).toEqual(firing.sampleEventIds.concat(resolved.sampleEventIds.slice(6)));
  });

  it('does not resolve while the watermark is still inside the window', () => {
    const attack = spread(6, 0, 30, (t) => failedLogin(t, 'ivy'));
    expect(byStatus(run(rules, [...attack, login(sec(100), 'u-other')]))).toEqual([
      'failed-logins-per-user-1m-warning:firing',
    ]);
  });

  it('a second attack after resolution fires again under the same dedup key', () => {
    const first = spread(6, 0, 30, (t) => failedLogin(t, 'jack'));
    const second = spread(6, 400, 30, (t) => failedLogin(t, 'jack'));
    const alerts = run(rules, [...first, login(sec(200), 'u-x'), ...second]);
    expect(byStatus(alerts)).toEqual([
      'failed-logins-per-user-1m-warning:firing',
      'failed-logins-per-user-1m-warning:resolved',
      'failed-logins-per-user-1m-warning:firing',
    ]);
    expect(alerts[2].alertId).toBe(alerts[0].alertId);
    expect(alerts[2].firstSeen).toBe(sec(400));
  });
});
