/**
 * Every event type on the bus. The names are the `action` values of `audit_logs`, spelled as the
 * seeds' SQL spells them, so the runbook queries (seed 001) work as written.
 */
export const EventType = {
  AUTH_LOGIN: 'AUTH_LOGIN',
  FAILED_AUTH_LOGIN: 'FAILED_AUTH_LOGIN',
  AUTH_LOGOUT: 'AUTH_LOGOUT',
  TOKEN_REFRESH: 'TOKEN_REFRESH',
  TOKEN_REFRESH_REUSE: 'TOKEN_REFRESH_REUSE',
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  TOKEN_VALIDATION_FAILED: 'TOKEN_VALIDATION_FAILED',
  ROLE_CHANGED: 'ROLE_CHANGED',
  ACCOUNT_LOCKED: 'ACCOUNT_LOCKED',
  ACCOUNT_UNLOCKED: 'ACCOUNT_UNLOCKED',
  USER_CREATED: 'USER_CREATED',
  USER_DEACTIVATED: 'USER_DEACTIVATED',
  USER_REACTIVATED: 'USER_REACTIVATED',
  /** HTTP 403. */
  ACCESS_DENIED: 'ACCESS_DENIED',
  /** HTTP 429. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** HTTP 5xx. */
  SERVER_ERROR: 'SERVER_ERROR',
  /**
   * Many cheap refused requests from one client address (junk tokens, a blocked IP, throttled
   * retries) in one window, recorded as one row with their count instead of one row each.
   */
  JUNK_REQUESTS_AGGREGATED: 'JUNK_REQUESTS_AGGREGATED',
  AUDIT_LOG_READ: 'AUDIT_LOG_READ',
  RETENTION_RUN: 'RETENTION_RUN',
  ARCHIVE_WRITTEN: 'ARCHIVE_WRITTEN',
  ARCHIVE_VERIFIED: 'ARCHIVE_VERIFIED',
  PARTITION_DROPPED: 'PARTITION_DROPPED',
  ARCHIVE_DELETED: 'ARCHIVE_DELETED',
  LEGAL_HOLD_SET: 'LEGAL_HOLD_SET',
  LEGAL_HOLD_RELEASED: 'LEGAL_HOLD_RELEASED',
  RESTORE_DONE: 'RESTORE_DONE',
  BACKUP_DONE: 'BACKUP_DONE',
  SCHEMA_MIGRATION: 'SCHEMA_MIGRATION',
  DEPLOYMENT: 'DEPLOYMENT',
  /** An alert on security.alerts.v1; the `SECURITY_` prefix is what seed 001's `action LIKE 'SECURITY_%'` finds. */
  SECURITY_ALERT: 'SECURITY_ALERT',
  /** A response command on security.actions.v1 (lock account, block IP, revoke sessions), with a TTL. */
  SECURITY_ACTION: 'SECURITY_ACTION',
  /** The gateway refused a SECURITY_ACTION (bad or missing signature, expired, replayed, or a policy limit); on auth.events.v1. */
  SECURITY_ACTION_REJECTED: 'SECURITY_ACTION_REJECTED',
  /** An address or network put on the gateway's deny-list. */
  IP_BLOCKED: 'IP_BLOCKED',
  /** A deny-list entry lifted by hand. */
  IP_UNBLOCKED: 'IP_UNBLOCKED',
  /** An admin required the account to choose a new password before its next login (seed 000-44). */
  PASSWORD_RESET_REQUIRED: 'PASSWORD_RESET_REQUIRED',
  /** A password changed: by its user (proving the current one) or set by an admin. */
  PASSWORD_CHANGED: 'PASSWORD_CHANGED',
  /** The gateway's maintenance mode turned on or off (seed 004-34). */
  MAINTENANCE_MODE_CHANGED: 'MAINTENANCE_MODE_CHANGED',
  /** A new access-token signing key made by an admin (seed 000-42). */
  SIGNING_KEY_ROTATED: 'SIGNING_KEY_ROTATED',
  /** A service's log level changed at runtime (seed 002-32). */
  LOG_LEVEL_CHANGED: 'LOG_LEVEL_CHANGED',
  /**
   * An OAuth client failed to authenticate at the token, revocation or introspection endpoint
   * (unknown client, wrong or missing secret): names the client, never the secret.
   */
  CLIENT_AUTH_FAILED: 'CLIENT_AUTH_FAILED',
  /** A signed chain head on audit.checkpoints.v1. */
  AUDIT_CHECKPOINT: 'AUDIT_CHECKPOINT',
  /** A signed retention cut on audit.checkpoints.v1: a chain's oldest rows removed by policy. */
  AUDIT_RETENTION_CUT: 'AUDIT_RETENTION_CUT',
} as const;

export type EventType = (typeof EventType)[keyof typeof EventType];

export const EVENT_TYPES: readonly EventType[] = Object.freeze(Object.values(EventType));

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && EVENT_TYPE_SET.has(value);
}
