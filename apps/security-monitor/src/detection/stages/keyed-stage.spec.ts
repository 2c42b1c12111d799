import { RepartitionHeaders, type EventEnvelope } from '@vigil/contracts';
import type { ConsumedEvent, EventProducer } from '@vigil/kafka';
import { DetectionEngine } from '../../engine/detection-engine';
import { fingerprintKey } from '../../engine/password-fingerprint';
import { compileKeyedForwarding } from '../../engine/keyed-forwarding';
import {
  defaultRules,
  failedLogin,
  failedLoginWithFingerprint,
  fingerprintOf,
  junkAggregate,
  login,
  onlyRules,
  rateLimited,
  sec,
  spread,
} from '../../testing/test-events';
import { IpStage } from './ip-stage';
import type { StagePartition } from './stage';
import { UserStage } from './user-stage';

type Message = Parameters<EventProducer['send']>[1][number];

const FP = fingerprintOf('Spring2026!');
const FP_KEY = fingerprintKey(FP);

const partition = (stage: 'user' | 'ip', rules = defaultRules()): StagePartition => ({
  engine: new DetectionEngine(rules, { stage }),
  sources: {},
  heard: new Map(),
});

const consumed = (event: EventEnvelope, offset: number, partitionNo = 0, headers = {}): ConsumedEvent => ({
  event,
  topic: 'in',
  partition: partitionNo,
  offset: String(offset),
  key: null,
  headers,
  timestamp: Date.parse(event.occurredAt),
});

/** The user stage's output for these input events, as records on the repartition topic. */
async function forwarded(
  events: EventEnvelope[],
  sourcePartition = 0,
  rules = defaultRules(),
): Promise<Message[]> {
  const sent: Message[] = [];
  const producer = {
    send: async (topic: string, messages: Message[]) => {
      if (topic === 'repartition') sent.push(...messages);
      return [];
    },
  } as unknown as EventProducer;
  const stage = new UserStage(rules, producer, { repartition: 'repartition', partials: 'partials' });
  const p = partition('user', rules);
  const input = events.map((e, i) => consumed(e, i, sourcePartition));
  const out = stage.evaluate(p, input);
  await stage.sendOn(out, sourcePartition, String(input.length - 1));
  return sent;
}

/**
 * Repartitioned records as the keyed stage's consumer hands them over (the value parsed as sent:
 * the decoder's part is proven on the real broker, test/security-monitor/keyed-stage.test.ts).
 */
const asConsumed = (records: Message[]): ConsumedEvent[] =>
  records.map((m, i) =>
    consumed(JSON.parse(String(m.value)) as EventEnvelope, i, 0, m.headers as Record<string, string>),
  );

describe('keyed forwarding: one record per key kind a rule needs', () => {
  const forward = compileKeyedForwarding(defaultRules());

  it('a failed login with a fingerprint goes on for ip and password_fingerprint; the fingerprint is known by its digest only', () => {
    const e = failedLoginWithFingerprint(sec(0), 'a@example.com', '192.0.2.1', FP);
    expect(forward(e)).toEqual([
      { kind: 'ip', value: '192.0.2.1' },
      { kind: 'password_fingerprint', value: FP_KEY },
    ]);
    expect(FP_KEY).toMatch(/^fp:[0-9a-f]{12}$/);
  });

  it('a 429 goes on for route (no per-IP rule counts 429s); an aggregate of 429s for nothing (it names no single route), one of bad tokens for ip; a login for nothing', () => {
    expect(forward(rateLimited(sec(0), '192.0.2.2', '/api/v1/auth/login'))).toEqual([
      { kind: 'route', value: '/api/v1/auth/login' },
    ]);
    expect(forward(junkAggregate(sec(0), '192.0.2.3', 40, 'throttled'))).toEqual([]);
    expect(forward(junkAggregate(sec(0), '192.0.2.3', 40, 'bearer_token'))).toEqual([
      { kind: 'ip', value: '192.0.2.3' },
    ]);
    expect(forward(login(sec(0), 'u-1'))).toEqual([]);
    expect(forward(failedLogin(sec(0), 'b@example.com', '192.0.2.4'))).toEqual([
      { kind: 'ip', value: '192.0.2.4' },
    ]);
  });

  it('a kind with no enabled rule is not forwarded', () => {
    const only = compileKeyedForwarding(onlyRules('failed-logins-per-ip-1h'));
    expect(only(failedLoginWithFingerprint(sec(0), 'a@example.com', '192.0.2.1', FP))).toEqual([
      { kind: 'ip', value: '192.0.2.1' },
    ]);
    expect(only(rateLimited(sec(0), '192.0.2.2'))).toEqual([]);
  });
});

describe('the user stage sends keyed records; the keyed stage evaluates each by its kind', () => {
  it('records are keyed <kind>:<value> (the IP alone for ip, as before), carry their kind, source partition and offset, and never the raw fingerprint in the key', async () => {
    const sent = await forwarded(
      [
        failedLoginWithFingerprint(sec(0), 'a@example.com', '192.0.2.1', FP),
        rateLimited(sec(1), '192.0.2.2', '/api/v1/auth/token'),
      ],
      3,
    );
    expect(
      sent.map((m) => [
        m.key,
        m.headers?.[RepartitionHeaders.KEY_KIND],
        m.headers?.[RepartitionHeaders.SOURCE_PARTITION],
        m.headers?.[RepartitionHeaders.SOURCE_OFFSET],
      ]),
    ).toEqual([
      ['192.0.2.1', 'ip', '3', '0'],
      [`password_fingerprint:${FP_KEY}`, 'password_fingerprint', '3', '0'],
      ['route:/api/v1/auth/token', 'route', '3', '1'],
    ]);
    for (const m of sent) expect(String(m.key)).not.toContain(FP);
  });

  it('seed 000-18: an event forwarded for two kinds counts once in each (same source offset, both applied); a re-sent duplicate is skipped per kind', async () => {
    // Six accounts, one password, one IP: the fingerprint rule and the per-IP stuffing counters both see all six.
    const events = spread(6, 0, 60, (t, i) =>
      failedLoginWithFingerprint(t, `v${i}@example.com`, '192.0.2.9', FP),
    );
    const records = asConsumed(await forwarded(events));
    expect(records).toHaveLength(12);
    const stage = new IpStage(async () => 1, 60_000);
    const p = partition('ip');
    const first = stage.evaluate(p, records);
    expect(
      first.alerts.filter((a) => a.status === 'firing').map((a) => `${a.ruleId} ${a.key.value} ${a.count}`),
    ).toEqual([`password-spray-shared-password ${FP_KEY} 6`]);
    expect(p.sources).toEqual({ '0': '5', 'password_fingerprint/0': '5' });
    expect(p.engine.stats().events).toBe(12); // each record once: 6 per kind
    // The upstream partition crashed after sending and sends the same records again: nothing changes.
    const again = stage.evaluate(
      p,
      records.map((c, i) => ({ ...c, offset: String(100 + i) })),
    );
    expect(again.alerts).toEqual([]);
    expect(p.engine.stats().events).toBe(12);
  });

  it('a record without a kind header (written before kinds existed) is an ip record; one of an unknown kind is skipped', async () => {
    const ipRules = onlyRules('failed-logins-per-ip-1h');
    const events = spread(11, 0, 600, (t, i) => failedLogin(t, `w${i}@example.com`, '192.0.2.77'));
    const legacy = asConsumed(await forwarded(events, 0, ipRules)).map((c) => {
      const headers = { ...c.headers };
      delete headers[RepartitionHeaders.KEY_KIND];
      return { ...c, headers };
    });
    const stage = new IpStage(async () => 1, 60_000);
    const p = partition('ip', ipRules);
    const out = stage.evaluate(p, legacy);
    expect(out.alerts.map((a) => `${a.ruleId}:${a.status}`)).toEqual(['failed-logins-per-ip-1h:firing']);
    expect(p.sources).toEqual({ '0': '10' });
    const unknown = stage.evaluate(
      p,
      legacy.map((c, i) => ({
        ...c,
        offset: String(50 + i),
        headers: { ...c.headers, [RepartitionHeaders.KEY_KIND]: 'asn' },
      })),
    );
    expect(unknown.alerts).toEqual([]);
    expect(p.engine.stats().events).toBe(11);
  });

  it('the keyed stage evaluates a record only by the rules of its kind: a 429 as an ip record never reaches the route rule', async () => {
    const records = asConsumed(
      await forwarded([
        rateLimited(sec(0), '192.0.2.1'),
        rateLimited(sec(5), '192.0.2.2'),
        rateLimited(sec(10), '192.0.2.3'),
      ]),
    );
    const ipOnly = records.filter((c) => c.headers[RepartitionHeaders.KEY_KIND] === 'ip');
    const stage = new IpStage(async () => 1, 60_000);
    expect(stage.evaluate(partition('ip'), ipOnly).alerts).toEqual([]);
    const all = stage.evaluate(partition('ip'), records).alerts;
    expect(all.map((a) => `${a.ruleId} ${a.key.value}`)).toEqual([
      'rate-limited-consecutive-unique-ips /api/v1/auth/token',
    ]);
  });

  it('the keyed stage state (windows, per-kind source offsets) survives a snapshot', async () => {
    const events = spread(6, 0, 60, (t, i) =>
      failedLoginWithFingerprint(t, `z${i}@example.com`, `192.0.2.${i}`, FP),
    );
    const records = asConsumed(await forwarded(events)).filter(
      (c) => c.headers[RepartitionHeaders.KEY_KIND] === 'password_fingerprint',
    );
    const stage = new IpStage(async () => 1, 60_000);
    const p = partition('ip');
    expect(stage.evaluate(p, records.slice(0, 5)).alerts).toEqual([]);
    const restored: StagePartition = {
      engine: new DetectionEngine(defaultRules(), { stage: 'ip' }),
      sources: { ...p.sources },
      heard: new Map(),
    };
    restored.engine.restore(JSON.parse(JSON.stringify(p.engine.snapshot())));
    // A redelivery of the first five changes nothing; the sixth fires.
    expect(stage.evaluate(restored, records).alerts.map((a) => `${a.ruleId}:${a.status}:${a.count}`)).toEqual(
      ['password-spray-shared-password:firing:6'],
    );
  });
});
