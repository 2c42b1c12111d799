import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { classifyFailure, PermanentError, TransientError } from './failure-class';

// The real error classes of the libraries, built the way they build them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkaErrors = require('kafkajs/src/errors');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createErrorFromCode } = require('kafkajs/src/protocol/error');

function pgError(code: string, message = 'server said no'): DatabaseError {
  const e = new DatabaseError(message, message.length, 'error');
  e.code = code;
  return e;
}

function sysError(code: string, message = `connect ${code} 127.0.0.1:5432`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, errno: -1, syscall: 'connect' });
}

describe('classifyFailure: a dependency that blinks is not a bad message', () => {
  describe('socket errors are transient', () => {
    it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])(
      '%s',
      (code) => {
        expect(classifyFailure(sysError(code))).toBe('transient');
      },
    );

    it('an AggregateError of refused addresses (IPv4 and IPv6 both tried)', () => {
      expect(
        classifyFailure(new AggregateError([sysError('ECONNREFUSED'), sysError('ECONNREFUSED')], '')),
      ).toBe('transient');
    });
  });

  describe('PostgreSQL SQLSTATEs', () => {
    it.each([
      ['08006', 'connection_failure'],
      ['08001', 'sqlclient_unable_to_establish_sqlconnection'],
      ['53300', 'too_many_connections'],
      ['53100', 'disk_full'],
      ['57P01', 'admin_shutdown'],
      ['57P02', 'crash_shutdown'],
      ['57P03', 'cannot_connect_now ("the database system is starting up")'],
      ['40001', 'serialization_failure'],
      ['40P01', 'deadlock_detected'],
      ['57014', 'query_canceled (statement_timeout)'],
      ['55P03', 'lock_not_available (lock_timeout)'],
      ['58030', 'io_error'],
      ['25006', 'read_only_sql_transaction (failed over to a standby)'],
    ])('%s %s is transient', (code) => {
      expect(classifyFailure(pgError(code))).toBe('transient');
    });

    it.each([
      ['23505', 'unique_violation'],
      ['23514', 'check_violation'],
      ['22P02', 'invalid_text_representation'],
      ['22008', 'datetime_field_overflow'],
      ['42703', 'undefined_column'],
      ['P0001', 'raise_exception (a trigger refused the row)'],
    ])('%s %s is permanent', (code) => {
      expect(classifyFailure(pgError(code))).toBe('permanent');
    });

    it("TypeORM's QueryFailedError is judged by the driver error inside it", () => {
      expect(classifyFailure(new QueryFailedError('INSERT ...', [], pgError('40P01')))).toBe('transient');
      expect(classifyFailure(new QueryFailedError('INSERT ...', [], pgError('23514')))).toBe('permanent');
    });

    it.each([
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
    ])('pg without a code: "%s" is transient', (message) => {
      expect(classifyFailure(new Error(message))).toBe('transient');
    });
  });

  describe('broker and producer errors', () => {
    it('connection errors, request timeouts and exhausted retries are transient', () => {
      const conn = new kafkaErrors.KafkaJSConnectionError(
        'Connection error: connect ECONNREFUSED 127.0.0.1:9092',
        { broker: '127.0.0.1:9092' },
      );
      expect(classifyFailure(conn)).toBe('transient');
      expect(
        classifyFailure(
          new kafkaErrors.KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out', {}),
        ),
      ).toBe('transient');
      expect(
        classifyFailure(
          new kafkaErrors.KafkaJSNumberOfRetriesExceeded(conn, { retryCount: 8, retryTime: 5000 }),
        ),
      ).toBe('transient');
      expect(classifyFailure(new kafkaErrors.KafkaJSNoBrokerAvailableError())).toBe('transient');
    });

    it('a leader moving or authorization not yet granted is transient', () => {
      expect(classifyFailure(createErrorFromCode(6))).toBe('transient'); // NOT_LEADER_FOR_PARTITION
      expect(classifyFailure(createErrorFromCode(29))).toBe('transient'); // TOPIC_AUTHORIZATION_FAILED
    });

    it('a record the broker will never take is permanent, also inside a retry wrapper', () => {
      const tooLarge = createErrorFromCode(10); // MESSAGE_TOO_LARGE
      expect(classifyFailure(tooLarge)).toBe('permanent');
      expect(
        classifyFailure(
          new kafkaErrors.KafkaJSNumberOfRetriesExceeded(tooLarge, { retryCount: 0, retryTime: 0 }),
        ),
      ).toBe('permanent');
      expect(classifyFailure(createErrorFromCode(2))).toBe('permanent'); // CORRUPT_MESSAGE
    });
  });

  describe('deterministic handler errors are permanent', () => {
    it.each([
      ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'ip')")],
      ['a RangeError', new RangeError('Invalid time value')],
      ['a plain Error', new Error('unexpected attribute shape')],
    ])('%s', (_name, err) => {
      expect(classifyFailure(err)).toBe('permanent');
    });

    it('non-errors thrown are permanent', () => {
      expect(classifyFailure('boom')).toBe('permanent');
      expect(classifyFailure(undefined)).toBe('permanent');
    });
  });

  it('handlers can say which it is, and that wins', () => {
    expect(classifyFailure(new TransientError('cache warming up'))).toBe('transient');
    expect(
      classifyFailure(new PermanentError('implausible_time', 'occurredAt is 6 minutes in the future')),
    ).toBe('permanent');
    expect(classifyFailure(new TransientError('wrapped', { cause: new Error('x') }))).toBe('transient');
  });

  it('a transient cause deep inside a wrapper is found', () => {
    const wrapped = new Error('ingest failed', {
      cause: new Error('outer', { cause: sysError('ECONNRESET') }),
    });
    expect(classifyFailure(wrapped)).toBe('transient');
  });
});
