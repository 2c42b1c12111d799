import { IsIP, IsObject, MaxLength, ValidateIf } from 'class-validator';
import { EVENT_TYPES, EventType } from '../event-type/event-type';
import {
  Int,
  NestedObject,
  OneOf,
  Optional,
  Str,
  StrArray,
  UtcTimestamp,
  UuidV7,
} from '../validation/decorators';
import { CODE, IDENTIFIER, PRINTABLE, ROLE_NAME, SERVICE_NAME, TRACEPARENT } from '../validation/patterns';

/** The schema version producers write today. Add a version, never rewrite a landed one. */
export const CURRENT_SCHEMA_VERSION = 1;
/** Versions consumers still accept. */
export const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = Object.freeze([1]);

export const Outcome = {
  SUCCESS: 'success',
  FAILURE: 'failure',
  DENIED: 'denied',
  ERROR: 'error',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];
export const OUTCOMES: readonly Outcome[] = Object.freeze(Object.values(Outcome));

/** Bounds shared with code that builds envelopes (e.g. truncating a user agent before emitting). */
export const ENVELOPE_LIMITS = Object.freeze({
  userId: 64,
  username: 320, // an e-mail address at its RFC 5321 maximum
  role: 64,
  roles: 32,
  dbRole: 63, // PostgreSQL identifier length
  producer: 64,
  ip: 45, // IPv4-mapped IPv6 in full
  userAgent: 512,
  reason: 200,
  requestId: 128,
});

/** Who did it: a user (with their roles) or, for out-of-band SQL, the database role. */
export class Actor {
  @Optional()
  @Str(ENVELOPE_LIMITS.userId, { pattern: IDENTIFIER })
  userId?: string;

  @Optional()
  @StrArray(ENVELOPE_LIMITS.roles, ENVELOPE_LIMITS.role, ROLE_NAME)
  roles?: string[];

  @Optional()
  @Str(ENVELOPE_LIMITS.dbRole, { pattern: IDENTIFIER })
  dbRole?: string;
}

/**
 * Whom it is about: a known user id, or the attempted username when no user matched (failed
 * logins), or both. At least one is required.
 */
export class Subject {
  @ValidateIf((s: Subject) => s.userId !== undefined || s.username === undefined)
  @Str(ENVELOPE_LIMITS.userId, { pattern: IDENTIFIER })
  userId?: string;

  @Optional()
  @Str(ENVELOPE_LIMITS.username, { pattern: PRINTABLE })
  username?: string;
}

export class Source {
  @Optional()
  @IsIP()
  @MaxLength(ENVELOPE_LIMITS.ip)
  ip?: string;

  @Optional()
  @Str(ENVELOPE_LIMITS.userAgent, { pattern: PRINTABLE })
  userAgent?: string;
}

/**
 * The envelope every event travels in. `attributes` is checked only as an object here; the typed
 * subclass per event type (see the registry) validates its contents, which is what `validateEvent`
 * and `decodeEvent` use.
 */
export class EventEnvelope<A extends object = object> {
  /** UUIDv7: time-ordered, and the idempotency key (`audit_logs.event_id`). */
  @UuidV7()
  id!: string;

  @OneOf(EVENT_TYPES)
  type!: EventType;

  @Int(1)
  schemaVersion!: number;

  /** Producer clock; the Kafka record timestamp is set to it. */
  @UtcTimestamp()
  occurredAt!: string;

  @Str(ENVELOPE_LIMITS.producer, { pattern: SERVICE_NAME })
  producer!: string;

  @Optional()
  @NestedObject(() => Actor)
  actor?: Actor;

  @Optional()
  @NestedObject(() => Subject)
  subject?: Subject;

  @Optional()
  @NestedObject(() => Source)
  source?: Source;

  @OneOf(OUTCOMES)
  outcome!: Outcome;

  /** A short machine code (`invalid_credentials`), never a message that might quote input. */
  @Optional()
  @Str(ENVELOPE_LIMITS.reason, { pattern: CODE })
  reason?: string;

  @Optional()
  @Str(ENVELOPE_LIMITS.requestId, { pattern: IDENTIFIER })
  requestId?: string;

  @Optional()
  @Str(55, { pattern: TRACEPARENT })
  traceparent?: string;

  @IsObject()
  attributes!: A;
}
