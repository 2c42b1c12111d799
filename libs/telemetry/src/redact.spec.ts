import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from './logger';
import { redact, redactString, REDACTED } from './redact';
import { runWithContext } from './request-context';

// seed 000-07 / 000-08: secrets, passwords and tokens never reach a log line; redaction at source.
describe('redaction at source', () => {
  const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjMiLCJleHAiOjk5OTk5fQ.c2lnbmF0dXJlLWJ5dGVz';

  it('masks values under secret-looking keys at any depth', () => {
    const out = redact({
      user: 'alice',
      password: 'P@ss-marker-1',
      nested: { refreshToken: 'rt', headers: { authorization: 'Bearer x' } },
    });
    expect(out).toEqual({
      user: 'alice',
      password: REDACTED,
      nested: { refreshToken: REDACTED, headers: { authorization: REDACTED } },
    });
  });

  it("seed 000-18: masks a failed password's fingerprint wherever an event's attributes are logged", () => {
    const fp = '20457.q4Xz0cR1bWm2Yp8kLr3NvA';
    const out = redact({ event: { attributes: { attemptCount: 2, passwordFingerprint: fp } } });
    expect(out).toEqual({ event: { attributes: { attemptCount: 2, passwordFingerprint: REDACTED } } });
    // Key fingerprints (signing keys, checkpoints) are public identifiers and stay.
    expect(redact({ keyFingerprint: 'ab12', fingerprint: 'cd34' })).toEqual({
      keyFingerprint: 'ab12',
      fingerprint: 'cd34',
    });
  });

  it('scrubs bearer tokens, JWTs, URL credentials and form fields inside strings', () => {
    const s = redactString(
      `Authorization: Bearer abc.def.ghi token ${jwt} postgres://svc:hunter2@db/x username=a&password=P@ss-marker-2`,
    );
    expect(s).not.toMatch(/abc\.def\.ghi|hunter2|P@ss-marker-2|eyJhbGci/);
  });

  it('writes one JSON object a line with service, level, timestamp and request id', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(chunk.toString()), cb()) });
    const logger = createLogger({
      service: 'test',
      transports: [new winston.transports.Stream({ stream: sink })],
    });
    runWithContext({ requestId: 'req-12345678' }, () =>
      logger.info(`login for alice with Bearer ${jwt}`, {
        password: 'P@ss-marker-3',
        body: { client_secret: 's3' },
      }),
    );
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({
      service: 'test',
      level: 'info',
      requestId: 'req-12345678',
      password: REDACTED,
    });
    expect(entry.timestamp).toBeDefined();
    expect(lines[0]).not.toMatch(/P@ss-marker-3|s3"|eyJhbGci/);
  });

  it('keeps error messages and stacks, scrubbed', () => {
    const out = redact({ err: new Error(`connect failed for postgres://svc:hunter2@db/x`) }) as {
      err: { message: string };
    };
    expect(out.err.message).toContain('postgres://svc:');
    expect(out.err.message).not.toContain('hunter2');
  });
});
