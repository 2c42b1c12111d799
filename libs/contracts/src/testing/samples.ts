import { EventType } from '../event-type/event-type';
import { EventOf } from '../registry/event-registry';
import { createEvent } from '../factory/create-event';
import { alertDedupKey } from '../events/security-alert/alert-dedup-key';

/*
 * One valid event per type, for every suite that needs a realistic event (codec round trips,
 * consumers, rule fixtures). Ids and times are fixed so expectations can name them. Frozen:
 * take a mutable copy with `sampleEvent(type)`.
 */

const AT = '2025-01-15T09:30:00.000Z';
const GATEWAY = 'auth-gateway';
const ALICE = { userId: 'u-1001', username: 'alice@example.com' };
const WEB = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' };
const REQUEST = {
  requestId: 'req-7f3a',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};
const FAMILY = 'fam-01j9';
const ALERT_ID = alertDedupKey('failed-logins-per-user', 'user', 'u-1001');

/** `0190a1b2-0000-7000-8000-0000000000NN`: valid UUIDv7s, numbered per sample. */
const sampleId = (n: number): string => `0190a1b2-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

const auth = (n: number) => ({ id: sampleId(n), occurredAt: AT, producer: GATEWAY, source: WEB, ...REQUEST });

const samples: { [T in EventType]: EventOf<T> } = {
  AUTH_LOGIN: createEvent('AUTH_LOGIN', {
    ...auth(1),
    actor: { userId: ALICE.userId, roles: ['user'] },
    subject: ALICE,
    outcome: 'success',
    attributes: { sessionId: 'sess-01', familyId: FAMILY, clientId: 'backend-web' },
  }),
  FAILED_AUTH_LOGIN: createEvent('FAILED_AUTH_LOGIN', {
    ...auth(2),
    subject: { username: 'Mallory@Example.com ' },
    outcome: 'failure',
    reason: 'invalid_credentials',
    attributes: { attemptCount: 3, repeated: false, passwordFingerprint: '20457.q4Xz0cR1bWm2Yp8kLr3NvA' },
  }),
  AUTH_LOGOUT: createEvent('AUTH_LOGOUT', {
    ...auth(3),
    actor: { userId: ALICE.userId },
    subject: { userId: ALICE.userId },
    outcome: 'success',
    attributes: { sessionId: 'sess-01', scope: 'session' },
  }),
  TOKEN_REFRESH: createEvent('TOKEN_REFRESH', {
    ...auth(4),
    subject: { userId: ALICE.userId },
    outcome: 'success',
    attributes: { familyId: FAMILY, sessionId: 'sess-01', generation: 2, clientId: 'backend-web' },
  }),
  TOKEN_REFRESH_REUSE: createEvent('TOKEN_REFRESH_REUSE', {
    ...auth(5),
    subject: { userId: ALICE.userId },
    outcome: 'denied',
    reason: 'refresh_token_reused',
    attributes: { familyId: FAMILY, presentedGeneration: 1, familyRevoked: true },
  }),
  TOKEN_REVOKED: createEvent('TOKEN_REVOKED', {
    ...auth(6),
    actor: { userId: ALICE.userId },
    subject: { userId: ALICE.userId },
    outcome: 'success',
    attributes: { scope: 'family', trigger: 'reuse_detected', familyId: FAMILY, revokedCount: 1 },
  }),
  TOKEN_VALIDATION_FAILED: createEvent('TOKEN_VALIDATION_FAILED', {
    ...auth(7),
    outcome: 'denied',
    reason: 'invalid_token',
    attributes: { failure: 'unknown_kid', kid: 'key-2024-12' },
  }),
  ROLE_CHANGED: createEvent('ROLE_CHANGED', {
    id: sampleId(8),
    occurredAt: AT,
    producer: 'db-trigger',
    actor: { dbRole: 'vigil_operator' },
    subject: { userId: 'u-1002' },
    outcome: 'success',
    attributes: { before: ['user'], after: ['user', 'admin'], targetUserId: 'u-1002', channel: 'db_trigger' },
  }),
  ACCOUNT_LOCKED: createEvent('ACCOUNT_LOCKED', {
    ...auth(9),
    subject: ALICE,
    outcome: 'success',
    reason: 'too_many_failures',
    attributes: { trigger: 'security_action', lockedUntil: '2025-01-15T09:45:00.000Z', alertId: ALERT_ID },
  }),
  ACCOUNT_UNLOCKED: createEvent('ACCOUNT_UNLOCKED', {
    id: sampleId(10),
    occurredAt: AT,
    producer: GATEWAY,
    subject: { userId: ALICE.userId },
    outcome: 'success',
    attributes: { trigger: 'expiry' },
  }),
  USER_CREATED: createEvent('USER_CREATED', {
    ...auth(11),
    actor: { userId: 'u-0001', roles: ['admin'] },
    subject: { userId: 'u-1003', username: 'bob@example.com' },
    outcome: 'success',
    attributes: { roles: ['user'], channel: 'api' },
  }),
  USER_DEACTIVATED: createEvent('USER_DEACTIVATED', {
    ...auth(12),
    actor: { userId: 'u-0001', roles: ['admin'] },
    subject: { userId: 'u-1003' },
    outcome: 'success',
    attributes: { channel: 'api', sessionsRevoked: 2 },
  }),
  USER_REACTIVATED: createEvent('USER_REACTIVATED', {
    ...auth(13),
    actor: { userId: 'u-0001', roles: ['admin'] },
    subject: { userId: 'u-1003' },
    outcome: 'success',
    attributes: {},
  }),
  ACCESS_DENIED: createEvent('ACCESS_DENIED', {
    ...auth(14),
    actor: { userId: ALICE.userId, roles: ['user'] },
    subject: { userId: ALICE.userId },
    outcome: 'denied',
    reason: 'missing_role',
    attributes: { route: '/api/v1/admin/users', method: 'GET', requiredRoles: ['admin'] },
  }),
  RATE_LIMITED: createEvent('RATE_LIMITED', {
    ...auth(15),
    subject: { username: 'alice@example.com' },
    outcome: 'denied',
    reason: 'rate_limited',
    attributes: { route: '/api/v1/auth/token', scope: 'account_ip', retryAfterSeconds: 30 },
  }),
  SERVER_ERROR: createEvent('SERVER_ERROR', {
    ...auth(16),
    outcome: 'error',
    reason: 'internal_error',
    attributes: { route: '/api/v1/auth/refresh', method: 'POST', status: 503, errorName: 'QueryFailedError' },
  }),
  JUNK_REQUESTS_AGGREGATED: createEvent('JUNK_REQUESTS_AGGREGATED', {
    ...auth(25),
    outcome: 'denied',
    reason: 'aggregated',
    attributes: {
      kind: 'bearer_token',
      aggregates: 'TOKEN_VALIDATION_FAILED',
      count: 499,
      firstSeenAt: '2025-01-15T09:29:00.000Z',
      lastSeenAt: '2025-01-15T09:29:58.250Z',
      windowSeconds: 60,
      scope: 'ip',
      reasons: ['bad_signature', 'malformed'],
      routes: ['/api/v1/auth/me'],
    },
  }),
  AUDIT_LOG_READ: createEvent('AUDIT_LOG_READ', {
    id: sampleId(17),
    occurredAt: AT,
    producer: 'audit-writer',
    actor: { userId: 'u-0042', roles: ['auditor'] },
    source: { ip: '2001:db8::17' },
    outcome: 'success',
    requestId: 'req-91c0',
    attributes: {
      endpoint: '/api/v1/audit/logs',
      filters: { action: 'FAILED_AUTH_LOGIN', from: '2025-01-14T00:00:00Z' },
      rowCount: 42,
    },
  }),
  RETENTION_RUN: createEvent('RETENTION_RUN', {
    id: sampleId(18),
    occurredAt: AT,
    producer: 'retention-worker',
    outcome: 'success',
    attributes: {
      runId: 'ret-20250115',
      dryRun: false,
      retentionDays: 90,
      cutoff: '2024-10-17T00:00:00.000Z',
      partitionsArchived: 1,
      partitionsDropped: 1,
      partitionsHeld: 0,
      rowsArchived: 18234,
      manifestSha256: 'a'.repeat(64),
    },
  }),
  ARCHIVE_WRITTEN: createEvent('ARCHIVE_WRITTEN', {
    id: sampleId(40),
    occurredAt: AT,
    producer: 'retention-worker',
    outcome: 'success',
    attributes: {
      archiveId: 'arc-20241017-1',
      partition: 'audit_logs_20241017',
      rows: 18234,
      bytes: 912_004,
      sha256: 'b'.repeat(64),
      location: 's3://vigil-archive/audit/2024/10/17/audit_logs_20241017.jsonl.gz',
      redacted: ['ip_address', 'user_agent', 'username'],
    },
  }),
  ARCHIVE_VERIFIED: createEvent('ARCHIVE_VERIFIED', {
    id: sampleId(41),
    occurredAt: AT,
    producer: 'retention-worker',
    outcome: 'success',
    attributes: {
      archiveId: 'arc-20241017-1',
      partition: 'audit_logs_20241017',
      rows: 18234,
      sha256: 'b'.repeat(64),
      chains: 6,
    },
  }),
  PARTITION_DROPPED: createEvent('PARTITION_DROPPED', {
    id: sampleId(42),
    occurredAt: AT,
    producer: 'retention-worker',
    outcome: 'success',
    attributes: {
      partition: 'audit_logs_20241017',
      stage: 'detached',
      archiveId: 'arc-20241017-1',
      rows: 18234,
    },
  }),
  ARCHIVE_DELETED: createEvent('ARCHIVE_DELETED', {
    id: sampleId(43),
    occurredAt: AT,
    producer: 'retention-worker',
    outcome: 'success',
    attributes: {
      archiveId: 'arc-20231017-1',
      partition: 'audit_logs_20231017',
      sha256: 'c'.repeat(64),
      retainUntil: '2025-01-14T00:00:00.000Z',
      policy: 'archive-365d',
    },
  }),
  LEGAL_HOLD_SET: createEvent('LEGAL_HOLD_SET', {
    id: sampleId(44),
    occurredAt: AT,
    producer: 'retention-worker',
    actor: { userId: 'u-0001', roles: ['admin'] },
    outcome: 'success',
    attributes: {
      holdId: 'hold-7',
      userId: 'u-0042',
      from: '2024-10-01T00:00:00.000Z',
      reason: 'litigation 2025-17',
    },
  }),
  LEGAL_HOLD_RELEASED: createEvent('LEGAL_HOLD_RELEASED', {
    id: sampleId(45),
    occurredAt: AT,
    producer: 'retention-worker',
    actor: { userId: 'u-0001', roles: ['admin'] },
    outcome: 'success',
    attributes: { holdId: 'hold-7', userId: 'u-0042', reason: 'case closed' },
  }),
  RESTORE_DONE: createEvent('RESTORE_DONE', {
    id: sampleId(46),
    occurredAt: AT,
    producer: 'retention-worker',
    outcome: 'success',
    attributes: {
      restoreId: 'rst-1',
      archiveId: 'arc-20241017-1',
      partition: 'audit_logs_20241017',
      rows: 18234,
      table: 'audit_restore.audit_logs_restored',
    },
  }),
  BACKUP_DONE: createEvent('BACKUP_DONE', {
    id: sampleId(47),
    occurredAt: AT,
    producer: 'retention-worker',
    outcome: 'success',
    attributes: {
      backupId: 'bkp-20250115T0300',
      schemas: ['gateway', 'audit'],
      files: 93,
      bytes: 48_120_331,
      manifestSha256: 'd'.repeat(64),
      durationMs: 41_200,
    },
  }),
  SCHEMA_MIGRATION: createEvent('SCHEMA_MIGRATION', {
    id: sampleId(19),
    occurredAt: AT,
    producer: 'audit-writer',
    outcome: 'success',
    attributes: { service: 'audit-writer', migration: '1736900000000-CreateAuditLogs', direction: 'up' },
  }),
  DEPLOYMENT: createEvent('DEPLOYMENT', {
    id: sampleId(20),
    occurredAt: AT,
    producer: 'deploy-tool',
    outcome: 'success',
    attributes: { service: 'auth-gateway', version: '0.1.0', gitSha: '3f2c1ab' },
  }),
  SECURITY_ALERT: createEvent('SECURITY_ALERT', {
    id: sampleId(21),
    occurredAt: AT,
    producer: 'security-monitor',
    subject: { userId: ALICE.userId },
    outcome: 'success',
    reason: 'threshold_exceeded',
    attributes: {
      alertId: ALERT_ID,
      ruleId: 'failed-logins-per-user',
      ruleVersion: 1,
      status: 'firing',
      severity: 'high',
      sev: 'SEV-2',
      firstSeen: '2025-01-15T09:29:10.000Z',
      lastSeen: '2025-01-15T09:29:58.000Z',
      count: 11,
      key: { kind: 'user', value: ALICE.userId },
      sampleEventIds: [sampleId(2), sampleId(9)],
      mitre: ['TA0006', 'T1110'],
      summary: '11 failed logins for user u-1001 in 60 s (threshold 10)',
      threshold: 10,
      windowSeconds: 60,
    },
  }),
  SECURITY_ACTION: createEvent('SECURITY_ACTION', {
    id: sampleId(22),
    occurredAt: AT,
    producer: 'security-monitor',
    outcome: 'success',
    attributes: {
      action: 'BLOCK_IP',
      target: { kind: 'ip', value: '203.0.113.7' },
      ttlSeconds: 900,
      alertId: ALERT_ID,
      ruleId: 'failed-logins-per-user',
      dryRun: false,
      signature: {
        alg: 'Ed25519',
        kid: 'c0ffee00c0ffee00c0ffee00c0ffee00',
        issuedAt: '2025-01-15T09:30:00.100Z',
        expiresAt: '2025-01-15T09:35:00.100Z',
        value: Buffer.alloc(64, 5).toString('base64url'),
      },
    },
  }),
  SECURITY_ACTION_REJECTED: createEvent('SECURITY_ACTION_REJECTED', {
    ...auth(28),
    source: undefined,
    subject: { userId: ALICE.userId },
    outcome: 'denied',
    reason: 'admin_target',
    attributes: {
      actionEventId: sampleId(22),
      action: 'LOCK_ACCOUNT',
      target: { kind: 'user', value: ALICE.userId },
      rejection: 'admin_target',
      kid: 'c0ffee00c0ffee00c0ffee00c0ffee00',
      alertId: ALERT_ID,
      ruleId: 'failed-logins-per-user',
    },
  }),
  IP_BLOCKED: createEvent('IP_BLOCKED', {
    ...auth(26),
    actor: { userId: 'u-0001', roles: ['admin'] },
    outcome: 'success',
    attributes: {
      ip: '198.51.100.0/24',
      trigger: 'admin',
      ttlSeconds: 3600,
      blockedUntil: '2025-01-15T10:30:00.000Z',
      note: 'scanner, ticket SEC-42',
    },
  }),
  IP_UNBLOCKED: createEvent('IP_UNBLOCKED', {
    ...auth(27),
    actor: { userId: 'u-0001', roles: ['admin'] },
    outcome: 'success',
    attributes: { ip: '198.51.100.0/24', trigger: 'admin', note: 'false positive' },
  }),
  PASSWORD_RESET_REQUIRED: createEvent('PASSWORD_RESET_REQUIRED', {
    ...auth(50),
    actor: { userId: 'u-0001', roles: ['admin'] },
    subject: { userId: ALICE.userId },
    outcome: 'success',
    attributes: { sessionsRevoked: 2, note: 'credential dump INC-7' },
  }),
  PASSWORD_CHANGED: createEvent('PASSWORD_CHANGED', {
    ...auth(51),
    actor: { userId: ALICE.userId, roles: ['user'] },
    subject: { userId: ALICE.userId },
    outcome: 'success',
    attributes: { trigger: 'self_service', mustReset: false, sessionsRevoked: 0 },
  }),
  MAINTENANCE_MODE_CHANGED: createEvent('MAINTENANCE_MODE_CHANGED', {
    ...auth(52),
    actor: { userId: 'u-0001', roles: ['admin'] },
    outcome: 'success',
    attributes: { enabled: true, reason: 'database failover INC-9' },
  }),
  SIGNING_KEY_ROTATED: createEvent('SIGNING_KEY_ROTATED', {
    ...auth(53),
    actor: { userId: 'u-0001', roles: ['admin'] },
    outcome: 'success',
    attributes: {
      kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
      previousKid: 'Pv6dcYQbFNkdBvnIJeJYLjD6Hk5jG7kdVZ8gW1m4kKE',
      trigger: 'admin',
      previousRetired: false,
      reason: 'quarterly rotation',
    },
  }),
  LOG_LEVEL_CHANGED: createEvent('LOG_LEVEL_CHANGED', {
    ...auth(54),
    actor: { userId: 'u-0001', roles: ['admin'] },
    outcome: 'success',
    attributes: { service: 'auth-gateway', before: 'info', after: 'debug', ttlSeconds: 3600 },
  }),
  CLIENT_AUTH_FAILED: createEvent('CLIENT_AUTH_FAILED', {
    ...auth(55),
    outcome: 'failure',
    reason: 'bad_secret',
    attributes: { clientId: 'backend-web', method: 'basic', endpoint: 'token', attemptCount: 2 },
  }),
  AUDIT_CHECKPOINT: createEvent('AUDIT_CHECKPOINT', {
    id: sampleId(23),
    occurredAt: AT,
    producer: 'audit-writer',
    outcome: 'success',
    attributes: {
      chainId: 'auth.events.v1:0',
      position: 18234,
      headHash: 'b'.repeat(64),
      prevCheckpointHash: null,
      algorithm: 'ed25519',
      keyFingerprint: 'c0ffee00c0ffee00',
      signature: Buffer.alloc(64, 7).toString('base64'),
      signedAt: '2025-01-15T09:30:00.250Z',
      headCreatedAt: AT,
    },
  }),
  AUDIT_RETENTION_CUT: createEvent('AUDIT_RETENTION_CUT', {
    id: sampleId(24),
    occurredAt: AT,
    producer: 'audit-writer',
    outcome: 'success',
    attributes: {
      chainId: 'auth.events.v1:0',
      upToSeq: 9120,
      lastHash: 'd'.repeat(64),
      lastCreatedAt: '2024-10-17T23:59:59.999Z',
      policy: 'hot-90d',
      cutAt: AT,
      algorithm: 'ed25519',
      keyFingerprint: 'c0ffee00c0ffee00',
      signature: Buffer.alloc(64, 9).toString('base64'),
    },
  }),
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

export const SAMPLE_EVENTS: { readonly [T in EventType]: Readonly<EventOf<T>> } = deepFreeze(samples);

/** A mutable deep copy of the sample of `type`. */
export function sampleEvent<T extends EventType>(type: T): EventOf<T> {
  return structuredClone(SAMPLE_EVENTS[type]) as EventOf<T>;
}
