import { canonicalBytes, genesis, linkRows } from '@vigil/chain';
import { createEvent, type EventEnvelope } from '@vigil/contracts';
import { toAuditRow } from './audit-row';
import { copyLine } from './copy-format';

const FP = '20457.q4Xz0cR1bWm2Yp8kLr3NvA';
const source = { topic: 'auth.events.v1', partition: 0, offset: '7' };

function failedLogin(attributes: Record<string, unknown>): EventEnvelope {
  return createEvent('FAILED_AUTH_LOGIN', {
    producer: 'auth-gateway',
    subject: { username: 'alice' },
    source: { ip: '203.0.113.7', userAgent: 'curl/8' },
    outcome: 'failure',
    reason: 'bad_password',
    attributes,
  }) as EventEnvelope;
}

describe("seed 000-18: a failed password's fingerprint never reaches the audit store", () => {
  it('is dropped before the row is built: not in the stored details, not in the chained bytes', () => {
    const event = failedLogin({ attemptCount: 2, passwordFingerprint: FP });
    const draft = toAuditRow(event, source);
    expect(draft.details).toEqual({ schemaVersion: 1, attributes: { attemptCount: 2 } });
    const [row] = linkRows(genesis('auth.events.v1:0'), [draft]).rows;
    expect(canonicalBytes(row).toString()).not.toContain(FP);
    expect(copyLine(row)).not.toContain(FP); // the COPY line written to audit_logs
    // The event itself is untouched (it may still go to a DLQ as it came).
    expect(event.attributes).toEqual({ attemptCount: 2, passwordFingerprint: FP });
  });

  it('the row of an event with the fingerprint hashes like the same event without it', () => {
    const withFp = failedLogin({ attemptCount: 2, passwordFingerprint: FP });
    const without = { ...withFp, attributes: { attemptCount: 2 } } as EventEnvelope;
    const salt = Buffer.alloc(16, 7);
    const a = linkRows(genesis('c'), [toAuditRow(withFp, source, salt)]).rows[0];
    const b = linkRows(genesis('c'), [toAuditRow(without, source, salt)]).rows[0];
    expect(a.hash).toBe(b.hash);
  });

  it('leaves the attributes of an event without a fingerprint as they were', () => {
    const plain = failedLogin({ attemptCount: 1, repeated: false });
    expect((toAuditRow(plain, source).details as { attributes: unknown }).attributes).toBe(plain.attributes);
  });
});
