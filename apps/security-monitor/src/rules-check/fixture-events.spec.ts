import { CURRENT_SCHEMA_VERSION, validateEvent } from '@vigil/contracts';
import { expandCase, fixtureEventId, FixtureEventError } from './fixture-events';
import { parseFixture, type FixtureFile } from './fixture-file';

// Issue 19 item 5: a case's event specs become the events the live consumer would hand the stages,
// the same ones on every run, through the contracts' encoder and decoder.
describe('rule fixture events: expansion through the contracts codec', () => {
  const FILE = 'rules/fixtures/credential-stuffing-per-ip.json';
  const fixture = (events: unknown[], base?: string): FixtureFile =>
    parseFixture(
      JSON.stringify({
        rule: 'credential-stuffing-per-ip',
        ...(base ? { base } : {}),
        cases: [{ name: 'c', kind: 'fires', events, expect: [{ status: 'firing', key: 'x' }] }],
      }),
      FILE,
    );
  const expand = (f: FixtureFile) => expandCase(f, f.cases[0]);

  it('seed 000-18: repeat, every and {i} in every string; gateway events of the current schema version, valid per the contracts', () => {
    const f = fixture([
      {
        at: 10,
        type: 'FAILED_AUTH_LOGIN',
        reason: 'invalid_credentials',
        username: 'victim{i}@example.com',
        ip: '203.0.113.{i}',
        userAgent: 'bot/{i}',
        attributes: { attemptCount: 1 },
        repeat: 3,
        every: 2.5,
      },
    ]);
    const events = expand(f).map((x) => x.event);
    expect(events.map((e) => [e.occurredAt, e.subject?.username, e.source?.ip, e.source?.userAgent])).toEqual(
      [
        ['2026-01-05T10:00:10.000Z', 'victim0@example.com', '203.0.113.0', 'bot/0'],
        ['2026-01-05T10:00:12.500Z', 'victim1@example.com', '203.0.113.1', 'bot/1'],
        ['2026-01-05T10:00:15.000Z', 'victim2@example.com', '203.0.113.2', 'bot/2'],
      ],
    );
    for (const e of events) {
      expect(e).toMatchObject({
        type: 'FAILED_AUTH_LOGIN',
        producer: 'auth-gateway',
        schemaVersion: CURRENT_SCHEMA_VERSION,
        outcome: 'failure',
        reason: 'invalid_credentials',
        attributes: { attemptCount: 1 },
      });
      expect(validateEvent(e).ok).toBe(true);
    }
  });

  it("the outcome defaults to the type's usual one; a spec may say otherwise; {i} reaches nested attributes and actor", () => {
    const f = fixture([
      { at: 0, type: 'TOKEN_REFRESH', userId: 'u-{i}', attributes: { familyId: 'fam-{i}' }, repeat: 2 },
      { at: 5, type: 'SERVER_ERROR', username: 's', attributes: { route: '/r', method: 'GET', status: 503 } },
      {
        at: 6,
        type: 'ACCESS_DENIED',
        userId: 'u-1',
        actor: { userId: 'u-{i}', roles: ['viewer'] },
        attributes: { route: '/api/v1/admin/users', method: 'GET', requiredRoles: ['admin'] },
      },
      {
        at: 7,
        type: 'SECURITY_ACTION_REJECTED',
        outcome: 'failure',
        reason: 'bad_signature',
        attributes: {
          actionEventId: '0194f0c2-7a00-7000-8000-000000000001',
          action: 'BLOCK_IP',
          target: { kind: 'ip', value: '203.0.113.9' },
          rejection: 'bad_signature',
        },
      },
    ]);
    const events = expand(f).map((x) => x.event);
    expect(events.map((e) => e.outcome)).toEqual(['success', 'success', 'error', 'denied', 'failure']);
    expect(events.map((e) => (e.attributes as { familyId?: string }).familyId)).toEqual([
      'fam-0',
      'fam-1',
      undefined,
      undefined,
      undefined,
    ]);
    expect(events[3].actor).toEqual({ userId: 'u-0', roles: ['viewer'] });
  });

  it('events are in event-time order whatever the order of the specs (ties keep the file order)', () => {
    const f = fixture([
      { at: 4, type: 'AUTH_LOGIN', userId: 'late', repeat: 2, every: 1 },
      { at: 0, type: 'AUTH_LOGIN', userId: 'early{i}', repeat: 3, every: 2 },
    ]);
    expect(expand(f).map((x) => [x.event.subject?.userId, x.spec, x.repeat])).toEqual([
      ['early0', 1, 0],
      ['early1', 1, 1],
      ['late', 0, 0],
      ['early2', 1, 2],
      ['late', 0, 1],
    ]);
  });

  it('ids are UUIDv7 at the event time, derived from file, case and index: the same on every run, different per event', () => {
    const f = fixture([{ at: 0, type: 'AUTH_LOGIN', userId: 'u-{i}', repeat: 50, every: 0 }]);
    const first = expand(f).map((x) => x.event.id);
    expect(expand(f).map((x) => x.event.id)).toEqual(first);
    expect(new Set(first).size).toBe(50);
    const t = Date.parse('2026-01-05T10:00:00.000Z');
    expect(first[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(first[0].replace(/-/g, '').slice(0, 12), 16)).toBe(t);
    expect(fixtureEventId(FILE, 'c', 0, t)).toBe(first[0]);
    expect(fixtureEventId('/elsewhere/credential-stuffing-per-ip.json', 'c', 0, t)).toBe(first[0]);
    expect(fixtureEventId(FILE, 'other case', 0, t)).not.toBe(first[0]);
  });

  it('an event the contracts refuse is named by file, case, spec and repeat with the decoder detail, never the value', () => {
    const f = fixture([
      { at: 0, type: 'AUTH_LOGIN', userId: 'ok', attributes: {} },
      { at: 1, type: 'FAILED_AUTH_LOGIN', username: 'a', ip: 'not-an-ip-s3cr3t{i}', repeat: 3 },
      { at: 2, type: 'FAILED_AUTH_LOGIN', username: 'a', attributes: { password: 'hunter2' } },
    ]);
    let problems: string[] = [];
    try {
      expand(f);
    } catch (err) {
      expect(err).toBeInstanceOf(FixtureEventError);
      problems = (err as FixtureEventError).problems;
    }
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^rules\/fixtures\/credential-stuffing-per-ip\.json: case "c"\.events\[1\] \(repeat 0\): refused by the contracts \(schema_violation\): .*source\.ip/,
    );
    expect(problems[1]).toMatch(
      /^rules\/fixtures\/credential-stuffing-per-ip\.json: case "c"\.events\[2\]: refused by the contracts \(schema_violation\): .*password/,
    );
    expect(problems.join('\n')).not.toMatch(/s3cr3t|hunter2/);
  });
});
