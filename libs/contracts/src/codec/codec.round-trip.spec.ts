import {
  CURRENT_SCHEMA_VERSION,
  EVENT_ATTRIBUTES,
  EVENT_TYPES,
  EventContractError,
  EventType,
  createEvent,
  decodeEvent,
  encodeEvent,
  validateEvent,
} from '../index';
import { SAMPLE_EVENTS, sampleEvent } from '../testing';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('contract round trip', () => {
  it('has a registry entry and a sample for every event type, and nothing else', () => {
    expect(Object.keys(EVENT_ATTRIBUTES).sort()).toEqual([...EVENT_TYPES].sort());
    expect(Object.keys(SAMPLE_EVENTS).sort()).toEqual([...EVENT_TYPES].sort());
  });

  // Iterates the registry, so a type added without a sample fails here.
  it.each(Object.keys(EVENT_ATTRIBUTES) as EventType[])(
    '%s: createEvent → encodeEvent → decodeEvent',
    (type) => {
      const original = SAMPLE_EVENTS[type];
      expect(original).toBeDefined();
      expect(original.type).toBe(type);

      const rebuilt = createEvent(type, { ...sampleEvent(type) } as never);
      const decoded = decodeEvent(encodeEvent(rebuilt));

      expect(decoded).toEqual({ ok: true, event: rebuilt });
      expect(decoded.ok && JSON.parse(JSON.stringify(decoded.event))).toStrictEqual(
        JSON.parse(JSON.stringify(original)),
      );
    },
  );

  it.each(EVENT_TYPES)('%s: the sample validates as an already-parsed object', (type) => {
    expect(validateEvent(sampleEvent(type))).toEqual({ ok: true, event: SAMPLE_EVENTS[type] });
  });

  it('decodes a string and a Buffer view with a byte offset alike', () => {
    const bytes = encodeEvent(SAMPLE_EVENTS.AUTH_LOGIN);
    const padded = Buffer.concat([Buffer.from('xxxx'), bytes]).subarray(4);
    expect(decodeEvent(padded)).toEqual({ ok: true, event: SAMPLE_EVENTS.AUTH_LOGIN });
    expect(decodeEvent(bytes.toString('utf8'))).toEqual({ ok: true, event: SAMPLE_EVENTS.AUTH_LOGIN });
  });
});

describe('createEvent', () => {
  const fields = {
    producer: 'auth-gateway',
    subject: { userId: 'u-1' },
    outcome: 'success' as const,
    attributes: {},
  };

  it('fills a fresh UUIDv7 id, the current schema version and occurredAt = now', () => {
    const before = Date.now();
    const a = createEvent('AUTH_LOGIN', fields);
    const b = createEvent('AUTH_LOGIN', fields);
    expect(a.id).toMatch(UUID_V7);
    expect(b.id).not.toBe(a.id);
    expect(b.id > a.id).toBe(true); // v7 ids sort by creation time
    expect(a.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
    expect(a.occurredAt.endsWith('Z')).toBe(true);
    expect(Date.parse(a.occurredAt)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(a.occurredAt)).toBeLessThanOrEqual(Date.now());
  });

  it('takes occurredAt as a Date or a string', () => {
    expect(createEvent('AUTH_LOGIN', { ...fields, occurredAt: new Date(0) }).occurredAt).toBe(
      '1970-01-01T00:00:00.000Z',
    );
    expect(createEvent('AUTH_LOGIN', { ...fields, occurredAt: '2025-01-01T00:00:00Z' }).occurredAt).toBe(
      '2025-01-01T00:00:00Z',
    );
  });

  it('refuses to build an invalid event, naming the path but not the value', () => {
    const secret = 'hunter2-not-logged';
    const build = () => createEvent('AUTH_LOGIN', { ...fields, attributes: { password: secret } as never });
    expect(build).toThrow(EventContractError);
    try {
      build();
    } catch (e) {
      const error = e as EventContractError;
      expect(error.reason).toBe('schema_violation');
      expect(error.detail).toContain('attributes.password: unknown_property');
      expect(error.message).not.toContain(secret);
    }
  });

  it('refuses an invalid Date', () => {
    expect(() => createEvent('AUTH_LOGIN', { ...fields, occurredAt: new Date('nope') })).toThrow(
      EventContractError,
    );
  });
});
