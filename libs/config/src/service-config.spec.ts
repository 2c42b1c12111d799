import { ConfigError, loadConfig } from './env';
import { junkSchema } from './service-config';

describe('junkSchema (JUNK_*, shared by the gateway and the audit API)', () => {
  it('defaults: a 60 s window, 429 from the 300th junk request of a client in it, 20,000 clients tracked', () => {
    expect(loadConfig(junkSchema(), {})).toEqual({
      junkWindowSeconds: 60,
      junkThrottleThreshold: 300,
      junkMaxTrackedClients: 20_000,
    });
  });

  it('names each bad variable', () => {
    let problems = '';
    try {
      loadConfig(junkSchema(), {
        JUNK_WINDOW_SECONDS: '3601',
        JUNK_THROTTLE_THRESHOLD: '0',
        JUNK_MAX_TRACKED_CLIENTS: 'lots',
      });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems.join('\n');
    }
    for (const v of ['JUNK_WINDOW_SECONDS', 'JUNK_THROTTLE_THRESHOLD', 'JUNK_MAX_TRACKED_CLIENTS'])
      expect(problems).toContain(v);
  });
});
