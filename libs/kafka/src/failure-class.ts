/**
 * Is a handler failure the message's fault, or a dependency's? A dependency that blinks
 * (PostgreSQL restarting, the broker away, a deadlock, a timeout) is not a bad message: the
 * consumer waits and retries for as long as it takes. Only failures that would repeat for the same
 * message (it cannot be decoded, validated or handled) go to the DLQ.
 */
export type FailureClass = 'transient' | 'permanent';

/** Throw from a handler to say explicitly that retrying later may succeed. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Throw from a handler to say the message itself is at fault (it goes to the DLQ with `reason`). */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Node socket and DNS errors: the peer is away or the network between us is. */
const TRANSIENT_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ESOCKETTIMEDOUT',
]);

/**
 * PostgreSQL SQLSTATEs that say "try again": connection exceptions (class 08), insufficient
 * resources (53), operator intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
 * connect now, 57P04 database dropped), serialization failure and deadlock (40001, 40P01),
 * query_canceled (57014: statement_timeout), lock_not_available (55P03: lock_timeout), system
 * errors (58: I/O), read-only transaction (25006: a failover left us on a standby).
 */
function transientSqlState(code: string): boolean {
  const cls = code.slice(0, 2);
  if (cls === '08' || cls === '53' || cls === '58') return true;
  return ['57P01', '57P02', '57P03', '57P04', '57014', '40001', '40P01', '55P03', '25006'].includes(code);
}

/** Messages of pg / pg-pool / TypeORM when the connection is lost, where no code is set. */
const TRANSIENT_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|the database system is (starting up|shutting down|in recovery mode)|terminating connection|server closed the connection unexpectedly|socket hang up|read ECONNRESET/i;

/**
 * Kafka protocol errors that would fail the same way on every retry: the record itself is at fault.
 * Every other KafkaJS error (connection, request timeout, leader moving, retries exhausted,
 * authorization not yet granted) means the broker or the cluster is the problem, not the message.
 */
const PERMANENT_KAFKA_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'INVALID_TIMESTAMP',
]);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
  driverError?: unknown;
  errors?: unknown;
}

/** A deterministic protocol error, on the error itself or on the error a retry wrapper gave up on. */
function hasPermanentKafkaType(e: ErrorLike, depth: number): boolean {
  if (depth > 6) return false;
  if (typeof e.type === 'string' && PERMANENT_KAFKA_TYPES.has(e.type)) return true;
  const inner = e.originalError ?? e.cause;
  return (
    !!inner &&
    typeof inner === 'object' &&
    inner !== e &&
    hasPermanentKafkaType(inner as ErrorLike, depth + 1)
  );
}

/** One verdict for any thrown value; wrapped causes (TypeORM's driverError, AggregateError, KafkaJS's originalError) are unwrapped. */
export function classifyFailure(err: unknown): FailureClass {
  return isTransient(err, 0) ? 'transient' : 'permanent';
}

function isTransient(err: unknown, depth: number): boolean {
  if (depth > 6 || err === null || typeof err !== 'object') return false;
  const e = err as ErrorLike;
  if (e instanceof PermanentError) return false;
  if (e instanceof TransientError) return true;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  if (code && TRANSIENT_ERRNO.has(code)) return true;
  if (/^[0-9A-Z]{5}$/.test(code)) {
    // A SQLSTATE: the server answered, so it says exactly which kind of failure this is.
    return transientSqlState(code);
  }
  if (name.startsWith('KafkaJS')) return !hasPermanentKafkaType(e, depth);
  const message = typeof e.message === 'string' ? e.message : '';
  if (TRANSIENT_MESSAGE.test(message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isTransient(x, depth + 1))) return true;
  for (const inner of [e.driverError, e.cause, e.originalError]) {
    if (inner && inner !== err && isTransient(inner, depth + 1)) return true;
  }
  return false;
}
