import { ConfigError } from '@vigil/config';
import { loadAuthGatewayConfig } from '../config';

describe('auth-gateway junk configuration', () => {
  it('defaults: a 60 s window, 429 from the 300th junk request of a client in it, 20,000 clients tracked', () => {
    const c = loadAuthGatewayConfig({});
    expect([c.junkWindowSeconds, c.junkThrottleThreshold, c.junkMaxTrackedClients]).toEqual([
      60, 300, 20_000,
    ]);
  });

  it('names each bad variable', () => {
    let problems: string[] = [];
    try {
      loadAuthGatewayConfig({
        JUNK_WINDOW_SECONDS: '0',
        JUNK_THROTTLE_THRESHOLD: 'many',
        JUNK_MAX_TRACKED_CLIENTS: '-5',
      });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    for (const v of ['JUNK_WINDOW_SECONDS', 'JUNK_THROTTLE_THRESHOLD', 'JUNK_MAX_TRACKED_CLIENTS'])
      expect(problems.join('\n')).toContain(v);
  });
});
