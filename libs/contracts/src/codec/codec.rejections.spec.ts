import { DecodeFailureReason, DecodeResult, EventType, MAX_EVENT_BYTES, decodeEvent } from '../index';
import { sampleEvent } from '../testing';

/** A value that must never reach `detail`, wherever it was put. */
const SECRET = 'hunter2-S3cret-Value';

type Mutable = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Mutate = (e: Mutable) => void;
type Case = readonly [label: string, type: EventType, mutate: Mutate, path: string];

function decodeJson(value: unknown): DecodeResult {
  return decodeEvent(JSON.stringify(value));
}

function expectRejected(
  result: DecodeResult,
  reason: DecodeFailureReason,
  detailContains?: string,
  value = SECRET,
) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason).toBe(reason);
  if (detailContains !== undefined) expect(result.detail).toContain(detailContains);
  expect(result.detail).not.toContain(value);
}

/** A sample of `type`, changed by `mutate`. */
function variant(type: EventType, mutate: Mutate): Mutable {
  const event = sampleEvent(type) as unknown as Mutable;
  mutate(event);
  return event;
}

describe('decodeEvent rejects', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an empty buffer', Buffer.alloc(0)],
    ['an empty string', ''],
    ['whitespace', ' \n\t '],
  ])('%s as empty', (_label, input) => {
    expectRejected(decodeEvent(input), 'empty');
  });

  it.each([
    ['truncated JSON', `{"type":"AUTH_LOGIN","password":"${SECRET}"`],
    ['not JSON at all', `password=${SECRET}`],
    ['single quotes', `{'password':'${SECRET}'}`],
  ])('%s as invalid_json, without quoting the input', (_label, input) => {
    expectRejected(decodeEvent(input), 'invalid_json');
    expectRejected(decodeEvent(Buffer.from(input)), 'invalid_json');
  });

  it.each([['[]'], ['42'], ['"AUTH_LOGIN"'], ['null']])('non-object JSON %s as schema_violation', (input) => {
    expectRejected(decodeEvent(input), 'schema_violation', '(root)');
  });

  it('an unregistered type as unknown_type, without echoing it', () => {
    const typeName = 'SECURITY_SOMETHING_NEW';
    expectRejected(
      decodeJson(variant('AUTH_LOGIN', (e) => (e.type = typeName))),
      'unknown_type',
      'type',
      typeName,
    );
  });

  it('a missing type as schema_violation', () => {
    expectRejected(decodeJson(variant('AUTH_LOGIN', (e) => delete e.type)), 'schema_violation', 'type');
  });

  it('a newer schema version as unsupported_version', () => {
    expectRejected(
      decodeJson(variant('AUTH_LOGIN', (e) => (e.schemaVersion = 2))),
      'unsupported_version',
      'schemaVersion',
    );
  });

  it.each([[0], [-1], [1.5], ['1'], [null]])('schemaVersion %p as schema_violation', (version) => {
    expectRejected(
      decodeJson(variant('AUTH_LOGIN', (e) => (e.schemaVersion = version))),
      'schema_violation',
      'schemaVersion',
    );
  });

  it('a missing id', () => {
    expectRejected(decodeJson(variant('AUTH_LOGIN', (e) => delete e.id)), 'schema_violation', 'id: isUuidV7');
  });

  it.each([
    ['a v4 UUID', '3b241101-e2bb-4255-8caf-4136c566a962'],
    ['an upper-case v7 UUID', '0190A1B2-0000-7000-8000-000000000001'],
    ['a non-UUID', 'evt-123'],
  ])('an id that is %s', (_label, id) => {
    expectRejected(
      decodeJson(variant('AUTH_LOGIN', (e) => (e.id = id))),
      'schema_violation',
      'id: isUuidV7',
      id,
    );
  });

  it.each([['999.1.1.1'], ['not-an-ip'], ['203.0.113.7/24'], ['::ffff:999.0.0.1']])('source.ip %s', (ip) => {
    expectRejected(
      decodeJson(variant('AUTH_LOGIN', (e) => (e.source.ip = ip))),
      'schema_violation',
      'source.ip',
      ip,
    );
  });

  it.each([
    ['at the top level', (e: Mutable) => (e.extra = 1), 'extra: unknown_property'],
    ['in actor', (e: Mutable) => (e.actor.email = 'a@b.c'), 'actor.email: unknown_property'],
    ['in attributes', (e: Mutable) => (e.attributes.note = 'x'), 'attributes.note: unknown_property'],
  ])('an unknown property %s', (_label, mutate, detail) => {
    expectRejected(decodeJson(variant('AUTH_LOGIN', mutate)), 'schema_violation', detail);
  });

  it('attributes of another event type', () => {
    const roleChange = sampleEvent('ROLE_CHANGED').attributes;
    const result = decodeJson(variant('AUTH_LOGIN', (e) => (e.attributes = roleChange)));
    expectRejected(result, 'schema_violation', 'attributes.before: unknown_property');
  });

  it.each([
    ['missing', (e: Mutable) => delete e.attributes],
    ['an array', (e: Mutable) => (e.attributes = [])],
    ['a string', (e: Mutable) => (e.attributes = SECRET)],
    ['null', (e: Mutable) => (e.attributes = null)],
  ])('attributes that are %s', (_label, mutate) => {
    expectRejected(decodeJson(variant('AUTH_LOGIN', mutate)), 'schema_violation', 'attributes');
  });

  it('missing required attributes of the declared type', () => {
    const result = decodeJson(variant('RATE_LIMITED', (e) => (e.attributes = {})));
    expectRejected(result, 'schema_violation', 'attributes.route');
  });

  describe('seed 000-18: a FAILED_AUTH_LOGIN passwordFingerprint that is not <epoch>.<22 base64url>', () => {
    it.each([
      ['the password itself', SECRET],
      ['no epoch', 'q4Xz0cR1bWm2Yp8kLr3NvA'],
      ['a negative epoch', '-1.q4Xz0cR1bWm2Yp8kLr3NvA'],
      ['a leading zero', '020457.q4Xz0cR1bWm2Yp8kLr3NvA'],
      ['padding', '20457.q4Xz0cR1bWm2Yp8kLr3Nv=='],
      ['standard base64', '20457.q4Xz0cR1bWm2Yp8k+r3Nv/'],
      ['21 characters', '20457.q4Xz0cR1bWm2Yp8kLr3Nv'],
      ['23 characters', '20457.q4Xz0cR1bWm2Yp8kLr3NvAB'],
      ['a hex digest', `20457.${'ab'.repeat(32)}`],
      ['a number', 20457],
      ['null', null],
    ])('%s', (_label, value) => {
      const result = decodeJson(
        variant('FAILED_AUTH_LOGIN', (e) => (e.attributes.passwordFingerprint = value)),
      );
      expectRejected(result, 'schema_violation', 'attributes.passwordFingerprint', String(value));
    });

    it('on another event type it is an unknown property', () => {
      const result = decodeJson(
        variant('AUTH_LOGIN', (e) => (e.attributes.passwordFingerprint = '20457.q4Xz0cR1bWm2Yp8kLr3NvA')),
      );
      expectRejected(result, 'schema_violation', 'attributes.passwordFingerprint: unknown_property');
    });

    it('the well-formed value decodes, epoch 0 included', () => {
      for (const fp of [
        '20457.q4Xz0cR1bWm2Yp8kLr3NvA',
        '0.AAAAAAAAAAAAAAAAAAAAAA',
        '123456789012345.-_-_-_-_-_-_-_-_-_-_-_',
      ])
        expect(
          decodeJson(variant('FAILED_AUTH_LOGIN', (e) => (e.attributes.passwordFingerprint = fp))).ok,
        ).toBe(true);
    });
  });

  describe('a password field anywhere, as an unknown property', () => {
    it.each([
      ['AUTH_LOGIN', 'top level', (e: Mutable) => (e.password = SECRET), 'password'],
      ['AUTH_LOGIN', 'actor', (e: Mutable) => (e.actor.password = SECRET), 'actor.password'],
      ['AUTH_LOGIN', 'subject', (e: Mutable) => (e.subject.password = SECRET), 'subject.password'],
      ['AUTH_LOGIN', 'source', (e: Mutable) => (e.source.password = SECRET), 'source.password'],
      [
        'FAILED_AUTH_LOGIN',
        'attributes',
        (e: Mutable) => (e.attributes.password = SECRET),
        'attributes.password',
      ],
      [
        'SECURITY_ALERT',
        'alert key',
        (e: Mutable) => (e.attributes.key.password = SECRET),
        'attributes.key.password',
      ],
      [
        'SECURITY_ACTION',
        'action target',
        (e: Mutable) => (e.attributes.target.password = SECRET),
        'attributes.target.password',
      ],
    ] satisfies (readonly [EventType, string, Mutate, string])[])('%s %s', (type, _where, mutate, path) => {
      expectRejected(decodeJson(variant(type, mutate)), 'schema_violation', `${path}: unknown_property`);
    });

    it('in a free-form map (audit query filters)', () => {
      const result = decodeJson(variant('AUDIT_LOG_READ', (e) => (e.attributes.filters.password = SECRET)));
      expectRejected(result, 'schema_violation', 'attributes.filters: isBoundedStringMap');
    });

    it.each([['token'], ['refresh_token'], ['clientSecret'], ['Authorization']])(
      'a %s key in filters',
      (key) => {
        const result = decodeJson(variant('AUDIT_LOG_READ', (e) => (e.attributes.filters[key] = SECRET)));
        expectRejected(result, 'schema_violation', 'attributes.filters');
      },
    );
  });

  describe('oversized strings', () => {
    const big = (n: number) => 'Zq'.repeat(Math.ceil(n / 2)).slice(0, n);
    it.each([
      ['source.userAgent', 'AUTH_LOGIN', (e: Mutable) => (e.source.userAgent = big(513))],
      ['reason', 'AUTH_LOGIN', (e: Mutable) => (e.reason = big(201))],
      ['producer', 'AUTH_LOGIN', (e: Mutable) => (e.producer = big(65).toLowerCase())],
      ['subject.username', 'FAILED_AUTH_LOGIN', (e: Mutable) => (e.subject.username = big(321))],
      ['actor.roles', 'AUTH_LOGIN', (e: Mutable) => (e.actor.roles = [big(65)])],
      ['attributes.route', 'RATE_LIMITED', (e: Mutable) => (e.attributes.route = `/${big(256)}`)],
      ['attributes.summary', 'SECURITY_ALERT', (e: Mutable) => (e.attributes.summary = big(501))],
    ] satisfies (readonly [string, EventType, Mutate])[])('%s', (path, type, mutate) => {
      const event = variant(type, mutate);
      const value = JSON.stringify(event).match(/(zq){20,}/i)?.[0];
      expect(value).toBeDefined();
      expectRejected(decodeJson(event), 'schema_violation', path, value);
    });

    it('a message above MAX_EVENT_BYTES, before parsing it', () => {
      const event = variant('AUTH_LOGIN', (e) => (e.attributes.sessionId = 'x'.repeat(MAX_EVENT_BYTES)));
      expectRejected(decodeJson(event), 'schema_violation', 'maxBytes');
    });
  });

  describe('other malformed envelopes', () => {
    it.each([
      ['null for an optional object', 'AUTH_LOGIN', (e: Mutable) => (e.actor = null), 'actor'],
      [
        'an array for a nested object',
        'AUTH_LOGIN',
        (e: Mutable) => (e.source = [{ ip: '203.0.113.7' }]),
        'source',
      ],
      ['an empty subject', 'AUTH_LOGIN', (e: Mutable) => (e.subject = {}), 'subject.userId'],
      [
        'a local-time occurredAt',
        'AUTH_LOGIN',
        (e: Mutable) => (e.occurredAt = '2025-01-15T10:30:00+01:00'),
        'occurredAt',
      ],
      [
        'an impossible date',
        'AUTH_LOGIN',
        (e: Mutable) => (e.occurredAt = '2025-02-30T00:00:00Z'),
        'occurredAt',
      ],
      ['a bad traceparent', 'AUTH_LOGIN', (e: Mutable) => (e.traceparent = '01-abc-def-00'), 'traceparent'],
      ['an unknown outcome', 'AUTH_LOGIN', (e: Mutable) => (e.outcome = 'ok'), 'outcome'],
      ['a reason with spaces', 'AUTH_LOGIN', (e: Mutable) => (e.reason = `bad password ${SECRET}`), 'reason'],
      [
        'a query string in a route',
        'RATE_LIMITED',
        (e: Mutable) => (e.attributes.route = `/x?access_token=${SECRET}`),
        'attributes.route',
      ],
      [
        'an out-of-range status',
        'SERVER_ERROR',
        (e: Mutable) => (e.attributes.status = 404),
        'attributes.status',
      ],
      [
        'a bad token failure kind',
        'TOKEN_VALIDATION_FAILED',
        (e: Mutable) => (e.attributes.failure = 'nope'),
        'attributes.failure',
      ],
      [
        'a sev that is not sevOf(severity)',
        'SECURITY_ALERT',
        (e: Mutable) => (e.attributes.sev = 'SEV-1'),
        'attributes.sev: sevMatchesSeverity',
      ],
      [
        'lastSeen before firstSeen',
        'SECURITY_ALERT',
        (e: Mutable) => (e.attributes.lastSeen = '2025-01-15T09:00:00.000Z'),
        'attributes.lastSeen',
      ],
      [
        'more than 10 sample ids',
        'SECURITY_ALERT',
        (e: Mutable) => (e.attributes.sampleEventIds = Array(11).fill(e.id)),
        'attributes.sampleEventIds',
      ],
      [
        'a bad MITRE id',
        'SECURITY_ALERT',
        (e: Mutable) => (e.attributes.mitre = ['T99']),
        'attributes.mitre',
      ],
      [
        'an ip alert key that is no IP',
        'SECURITY_ALERT',
        (e: Mutable) => (e.attributes.key = { kind: 'ip', value: 'u-1' }),
        'attributes.key.value',
      ],
      [
        'BLOCK_IP aimed at a user',
        'SECURITY_ACTION',
        (e: Mutable) => (e.attributes.target = { kind: 'user', value: 'u-1' }),
        'attributes.target: targetMatchesAction',
      ],
      [
        'a TTL over 30 days',
        'SECURITY_ACTION',
        (e: Mutable) => (e.attributes.ttlSeconds = 31 * 86400),
        'attributes.ttlSeconds',
      ],
      [
        'a checkpoint without prevCheckpointHash',
        'AUDIT_CHECKPOINT',
        (e: Mutable) => delete e.attributes.prevCheckpointHash,
        'attributes.prevCheckpointHash',
      ],
      [
        'a signature that is not base64',
        'AUDIT_CHECKPOINT',
        (e: Mutable) => (e.attributes.signature = '!!'),
        'attributes.signature',
      ],
      [
        'a retention cut at seq 0',
        'AUDIT_RETENTION_CUT',
        (e: Mutable) => (e.attributes.upToSeq = 0),
        'attributes.upToSeq',
      ],
      [
        'a retention cut whose last hash is not SHA-256',
        'AUDIT_RETENTION_CUT',
        (e: Mutable) => (e.attributes.lastHash = 'abc'),
        'attributes.lastHash',
      ],
    ] satisfies Case[])('%s', (_label, type, mutate, path) => {
      expectRejected(decodeJson(variant(type, mutate)), 'schema_violation', path);
    });

    it('a prototype-polluting key', () => {
      const json = JSON.stringify(sampleEvent('AUTH_LOGIN')).replace(
        '"attributes":{',
        '"attributes":{"__proto__":{"isAdmin":true},',
      );
      expectRejected(decodeEvent(json), 'schema_violation', 'attributes.__proto__: forbidden_key');
      expect(({} as Mutable).isAdmin).toBeUndefined();
    });

    it('excessive nesting', () => {
      let deep: unknown = {};
      for (let i = 0; i < 50; i++) deep = { a: deep };
      expectRejected(
        decodeJson(variant('AUTH_LOGIN', (e) => (e.attributes.x = deep))),
        'schema_violation',
        'maxDepth',
      );
    });

    it('reports several problems at once, bounded', () => {
      const result = decodeJson({
        ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, i])),
        type: 'AUTH_LOGIN',
      });
      expectRejected(result, 'schema_violation', 'more)');
    });
  });
});

// Hostile corpus (issue 18 item 3): what the audit store cannot hold as sent is refused, not stored altered.
describe('decodeEvent refuses text the audit store would alter', () => {
  const json = JSON.stringify(sampleEvent('FAILED_AUTH_LOGIN'));
  const at = json.indexOf('"username":"') + '"username":"'.length;

  it.each([
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ])(
    'bytes that are not UTF-8 (%s) inside a username: invalid_json (they were decoded to U+FFFD and stored so)',
    (_n, bytes) => {
      const value = Buffer.concat([
        Buffer.from(json.slice(0, at)),
        Buffer.from(bytes),
        Buffer.from(json.slice(at)),
      ]);
      expectRejected(decodeEvent(value), 'invalid_json', 'not valid UTF-8');
    },
  );

  it.each([
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', 'x\udc00'],
  ])('%s in a username or user agent: schema_violation (it was stored as U+FFFD)', (_n, text) => {
    expectRejected(
      decodeJson(variant('FAILED_AUTH_LOGIN', (e) => (e.subject.username = text))),
      'schema_violation',
      'subject.username',
    );
    expectRejected(
      decodeJson(variant('FAILED_AUTH_LOGIN', (e) => (e.source.userAgent = text))),
      'schema_violation',
      'source.userAgent',
    );
  });

  it('a well-formed pair (an emoji) and any other printable text still decode', () => {
    expect(decodeJson(variant('FAILED_AUTH_LOGIN', (e) => (e.subject.username = 'ünï 😀 中文 ﷺ'))).ok).toBe(
      true,
    );
  });
});
