import { v7 as uuidv7 } from 'uuid';
import { EventType } from '../event-type/event-type';
import { CURRENT_SCHEMA_VERSION } from '../envelope/envelope';
import { EventOf } from '../registry/event-registry';
import { EventContractError, assertValidEvent } from '../codec/codec';

/** What a producer supplies; the factory fills the rest. `id` is settable only to re-emit a stored event. */
export type EventFields<T extends EventType> = Omit<
  EventOf<T>,
  'id' | 'type' | 'schemaVersion' | 'occurredAt'
> & {
  id?: string;
  occurredAt?: string | Date;
};

/**
 * Builds a valid event of `type`: a fresh UUIDv7 id (time-ordered, and the idempotency key),
 * the current schema version and `occurredAt` = now unless given. Validates before returning,
 * so a bad event fails inside the producer's transaction rather than landing in a DLQ later.
 * @throws EventContractError
 */
export function createEvent<T extends EventType>(type: T, fields: EventFields<T>): EventOf<T> {
  const { id, occurredAt, ...rest } = fields;
  const event = {
    id: id ?? uuidv7(),
    type,
    schemaVersion: CURRENT_SCHEMA_VERSION,
    occurredAt: toUtcIso(occurredAt ?? new Date()),
    ...rest,
  };
  assertValidEvent(event);
  return event as unknown as EventOf<T>;
}

function toUtcIso(value: string | Date): string {
  if (typeof value === 'string') return value;
  if (Number.isNaN(value.getTime())) {
    throw new EventContractError('schema_violation', 'occurredAt: isUtcTimestamp');
  }
  return value.toISOString();
}
