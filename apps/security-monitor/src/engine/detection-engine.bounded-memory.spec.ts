import { DetectionEngine } from './detection-engine';
import { defaultRules, rawFailedLogin, T0 } from '../testing/test-events';

// CrowdSec ran out of memory under millions of one-shot IPs: keys here are capped and idle ones evicted.
describe('bounded memory', () => {
  const id = (i: number) => `0190a1b2-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;

  it('200,000 one-shot IPs within a minute keep at most the cap of keys per rule', () => {
    const engine = new DetectionEngine(defaultRules(), { maxKeysPerRule: 5_000 });
    for (let i = 0; i < 200_000; i++)
      engine.process(
        rawFailedLogin(
          T0 + (i % 50_000),
          `u${i}`,
          `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          id(i),
        ),
      );
    const byRule = engine.keysByRule();
    for (const n of Object.values(byRule)) expect(n).toBeLessThanOrEqual(5_000);
    expect(engine.stats().keysEvicted).toBeGreaterThan(0);
  });

  it('keys idle for longer than their window are swept as event time moves on', () => {
    const engine = new DetectionEngine(defaultRules());
    for (let i = 0; i < 20_000; i++)
      engine.process(rawFailedLogin(T0 + i, `u${i}`, `10.0.${(i >> 8) & 255}.${i & 255}`, id(i)));
    const busy = engine.stats().keys;
    expect(busy).toBeGreaterThan(20_000);
    engine.process(rawFailedLogin(T0 + 2 * 3600_000, 'last', '10.9.9.9', id(999_999)));
    expect(engine.stats().keys).toBeLessThan(20);
  });
});
