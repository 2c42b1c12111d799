import { isUtf8 } from 'node:buffer';
import { plainToInstance } from 'class-transformer';
import { Validator, ValidatorOptions } from 'class-validator';
import { EventType, isEventType } from '../event-type/event-type';
import { EventEnvelope, SUPPORTED_SCHEMA_VERSIONS } from '../envelope/envelope';
import { AnyEvent, envelopeClassFor } from '../registry/event-registry';
import { formatValidationErrors, rootIssue } from './decode-detail';
import { CompiledContract, compileContracts, compiledDetail } from './compiled/contracts';

/** Stable reason codes: DLQ headers, metrics labels and alerts key on them. */
export const DecodeFailureReason = {
  EMPTY: 'empty',
  INVALID_JSON: 'invalid_json',
  SCHEMA_VIOLATION: 'schema_violation',
  UNKNOWN_TYPE: 'unknown_type',
  UNSUPPORTED_VERSION: 'unsupported_version',
} as const;
export type DecodeFailureReason = (typeof DecodeFailureReason)[keyof typeof DecodeFailureReason];

/** `detail` names property paths and rule names, never values: a rejected value may be a secret. */
export type DecodeResult =
  { ok: true; event: AnyEvent } | { ok: false; reason: DecodeFailureReason; detail: string };

/** Far above any valid event (a full alert is ~2 KiB); stops parsing of junk early. */
export const MAX_EVENT_BYTES = 64 * 1024;
/** Valid events nest 4 levels; deeper input is junk, and would recurse through class-transformer. */
export const MAX_EVENT_DEPTH = 8;

/** Thrown by producers' helpers (createEvent, assertValidEvent, encodeEvent) with the decode vocabulary. */
export class EventContractError extends Error {
  constructor(
    readonly reason: DecodeFailureReason,
    readonly detail: string,
  ) {
    super(`event contract violation (${reason}): ${detail}`);
    this.name = 'EventContractError';
  }
}

// The reference path, built once: whitelist + forbidNonWhitelisted turns any unknown property (a
// `password`, a typo) into an error. forbidUnknownValues is off because empty attribute classes
// have no metadata and every nested object here has an explicit @Type. Errors keep neither target
// nor value.
const validator = new Validator();
const VALIDATOR_OPTIONS: ValidatorOptions = Object.freeze({
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: false,
  validationError: { target: false, value: false },
});

const fail = (reason: DecodeFailureReason, detail: string): DecodeResult => ({ ok: false, reason, detail });

/** Serialises an event for Kafka (UTF-8 JSON). Events come from `createEvent`, already validated. */
export function encodeEvent(event: EventEnvelope): Buffer {
  const bytes = Buffer.from(JSON.stringify(event), 'utf8');
  if (bytes.length > MAX_EVENT_BYTES) {
    throw new EventContractError(DecodeFailureReason.SCHEMA_VIOLATION, `(root): maxBytes ${MAX_EVENT_BYTES}`);
  }
  return bytes;
}

/** Parses and validates a Kafka message value. Never throws. */
export function decodeEvent(bytes: Uint8Array | string | null | undefined): DecodeResult {
  return decodeWith(bytes, compiledCheck);
}

/** Validates an already-parsed object; on success `event` is that same object, typed. Never throws. */
export function validateEvent(candidate: unknown): DecodeResult {
  return validateWith(candidate, compiledCheck);
}

/** `decodeEvent` through class-transformer + class-validator: the reference the compiled path is tested against. */
export function decodeEventReference(bytes: Uint8Array | string | null | undefined): DecodeResult {
  return decodeWith(bytes, referenceCheck);
}

/** `validateEvent` through class-transformer + class-validator (slow; for tests and benchmarks). */
export function validateEventReference(candidate: unknown): DecodeResult {
  return validateWith(candidate, referenceCheck);
}

/** The schema step, after the shared pre-checks: null when valid, else the `detail`. May throw. */
type SchemaCheck = (type: EventType, candidate: object) => string | null;

// Compiled from the classes' metadata at load, so a contract the compiler cannot reproduce fails
// at start-up rather than being validated differently on the hot path.
const COMPILED: ReadonlyMap<EventType, CompiledContract> = compileContracts();

const compiledCheck: SchemaCheck = (type, candidate) => compiledDetail(COMPILED.get(type)!, candidate);

const referenceCheck: SchemaCheck = (type, candidate) => {
  const errors = validator.validateSync(
    plainToInstance(envelopeClassFor(type), candidate),
    VALIDATOR_OPTIONS,
  );
  return errors.length > 0 ? formatValidationErrors(errors) : null;
};

function decodeWith(bytes: Uint8Array | string | null | undefined, check: SchemaCheck): DecodeResult {
  if (bytes === null || bytes === undefined || bytes.length === 0) return fail('empty', '(root): no bytes');
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.length;
  if (size > MAX_EVENT_BYTES) return fail('schema_violation', `(root): maxBytes ${MAX_EVENT_BYTES}`);
  const buffer =
    typeof bytes === 'string' ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  // JSON between systems is UTF-8 (RFC 8259 §8.1): other bytes would be decoded to U+FFFD and
  // stored as such, not as sent.
  if (buffer && !isUtf8(buffer)) return fail('invalid_json', '(root): not valid UTF-8');
  const text = buffer ? buffer.toString('utf8') : (bytes as string);
  if (text.trim().length === 0) return fail('empty', '(root): only whitespace');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the input around the error position: not passed on.
    return fail('invalid_json', '(root): not parseable as JSON');
  }
  return validateWith(parsed, check);
}

function validateWith(candidate: unknown, check: SchemaCheck): DecodeResult {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return fail('schema_violation', '(root): isObject');
  }
  const structural = rootIssue(candidate, MAX_EVENT_DEPTH);
  if (structural !== null) return fail('schema_violation', structural);

  const { type, schemaVersion } = candidate as { type?: unknown; schemaVersion?: unknown };
  if (typeof type !== 'string') return fail('schema_violation', 'type: isDefined');
  if (!isEventType(type)) return fail('unknown_type', 'type: not a registered event type');
  if (
    typeof schemaVersion === 'number' &&
    Number.isInteger(schemaVersion) &&
    schemaVersion >= 1 &&
    !SUPPORTED_SCHEMA_VERSIONS.includes(schemaVersion)
  ) {
    return fail('unsupported_version', `schemaVersion: supported ${SUPPORTED_SCHEMA_VERSIONS.join(',')}`);
  }

  let detail: string | null;
  try {
    detail = check(type, candidate);
  } catch {
    return fail('schema_violation', '(root): unprocessable');
  }
  if (detail !== null) return fail('schema_violation', detail);
  return { ok: true, event: candidate as AnyEvent };
}

/** Like `validateEvent`, for producers: returns the typed event or throws EventContractError. */
export function assertValidEvent(candidate: unknown): AnyEvent {
  const result = validateEvent(candidate);
  if (result.ok) return result.event;
  throw new EventContractError(result.reason, result.detail);
}
