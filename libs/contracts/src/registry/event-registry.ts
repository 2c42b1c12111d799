import { EventType } from '../event-type/event-type';
import { EventEnvelope } from '../envelope/envelope';
import { NestedObject } from '../validation/decorators';
import {
  AuthLoginAttributes,
  AuthLogoutAttributes,
  ClientAuthFailedAttributes,
  LoginFailedAttributes,
  TokenRefreshAttributes,
  TokenRefreshReuseAttributes,
  TokenRevokedAttributes,
  TokenValidationFailedAttributes,
} from '../events/auth/auth.attributes';
import {
  AccountLockedAttributes,
  AccountUnlockedAttributes,
  RoleChangedAttributes,
  UserCreatedAttributes,
  UserDeactivatedAttributes,
  UserReactivatedAttributes,
} from '../events/users/user.attributes';
import {
  AccessDeniedAttributes,
  JunkRequestsAggregatedAttributes,
  RateLimitedAttributes,
  ServerErrorAttributes,
} from '../events/http/http.attributes';
import {
  AuditLogReadAttributes,
  DeploymentAttributes,
  RetentionRunAttributes,
  SchemaMigrationAttributes,
} from '../events/ops/ops.attributes';
import {
  ArchiveDeletedAttributes,
  ArchiveVerifiedAttributes,
  ArchiveWrittenAttributes,
  BackupDoneAttributes,
  LegalHoldAttributes,
  PartitionDroppedAttributes,
  RestoreDoneAttributes,
} from '../events/ops/retention.attributes';
import { SecurityAlertAttributes } from '../events/security-alert/security-alert.attributes';
import { SecurityActionAttributes } from '../events/security-action/security-action.attributes';
import { SecurityActionRejectedAttributes } from '../events/security-action/security-action-rejected.attributes';
import { IpBlockedAttributes, IpUnblockedAttributes } from '../events/ip-block/ip-block.attributes';
import {
  LogLevelChangedAttributes,
  MaintenanceModeChangedAttributes,
  PasswordChangedAttributes,
  PasswordResetRequiredAttributes,
  SigningKeyRotatedAttributes,
} from '../events/operator/operator.attributes';
import { AuditCheckpointAttributes } from '../events/audit-checkpoint/audit-checkpoint.attributes';
import { AuditRetentionCutAttributes } from '../events/audit-checkpoint/audit-retention-cut.attributes';

type AttributesClass = new () => object;

/**
 * EventType → the class its `attributes` must satisfy. Adding an EventType without an entry here
 * is a compile error; adding it without a sample fails the round-trip spec.
 */
export const EVENT_ATTRIBUTES = Object.freeze({
  AUTH_LOGIN: AuthLoginAttributes,
  FAILED_AUTH_LOGIN: LoginFailedAttributes,
  AUTH_LOGOUT: AuthLogoutAttributes,
  TOKEN_REFRESH: TokenRefreshAttributes,
  TOKEN_REFRESH_REUSE: TokenRefreshReuseAttributes,
  TOKEN_REVOKED: TokenRevokedAttributes,
  TOKEN_VALIDATION_FAILED: TokenValidationFailedAttributes,
  ROLE_CHANGED: RoleChangedAttributes,
  ACCOUNT_LOCKED: AccountLockedAttributes,
  ACCOUNT_UNLOCKED: AccountUnlockedAttributes,
  USER_CREATED: UserCreatedAttributes,
  USER_DEACTIVATED: UserDeactivatedAttributes,
  USER_REACTIVATED: UserReactivatedAttributes,
  ACCESS_DENIED: AccessDeniedAttributes,
  RATE_LIMITED: RateLimitedAttributes,
  SERVER_ERROR: ServerErrorAttributes,
  JUNK_REQUESTS_AGGREGATED: JunkRequestsAggregatedAttributes,
  AUDIT_LOG_READ: AuditLogReadAttributes,
  RETENTION_RUN: RetentionRunAttributes,
  ARCHIVE_WRITTEN: ArchiveWrittenAttributes,
  ARCHIVE_VERIFIED: ArchiveVerifiedAttributes,
  PARTITION_DROPPED: PartitionDroppedAttributes,
  ARCHIVE_DELETED: ArchiveDeletedAttributes,
  LEGAL_HOLD_SET: LegalHoldAttributes,
  LEGAL_HOLD_RELEASED: LegalHoldAttributes,
  RESTORE_DONE: RestoreDoneAttributes,
  BACKUP_DONE: BackupDoneAttributes,
  SCHEMA_MIGRATION: SchemaMigrationAttributes,
  DEPLOYMENT: DeploymentAttributes,
  SECURITY_ALERT: SecurityAlertAttributes,
  SECURITY_ACTION: SecurityActionAttributes,
  SECURITY_ACTION_REJECTED: SecurityActionRejectedAttributes,
  IP_BLOCKED: IpBlockedAttributes,
  IP_UNBLOCKED: IpUnblockedAttributes,
  PASSWORD_RESET_REQUIRED: PasswordResetRequiredAttributes,
  PASSWORD_CHANGED: PasswordChangedAttributes,
  MAINTENANCE_MODE_CHANGED: MaintenanceModeChangedAttributes,
  SIGNING_KEY_ROTATED: SigningKeyRotatedAttributes,
  LOG_LEVEL_CHANGED: LogLevelChangedAttributes,
  CLIENT_AUTH_FAILED: ClientAuthFailedAttributes,
  AUDIT_CHECKPOINT: AuditCheckpointAttributes,
  AUDIT_RETENTION_CUT: AuditRetentionCutAttributes,
} as const satisfies { readonly [T in EventType]: AttributesClass });

export type AttributesOf<T extends EventType> = InstanceType<(typeof EVENT_ATTRIBUTES)[T]>;

/** The envelope of one event type, with its attributes typed. */
export type EventOf<T extends EventType> = Omit<EventEnvelope, 'type' | 'attributes'> & {
  type: T;
  attributes: AttributesOf<T>;
};

/** Any valid event; narrow on `type`. */
export type AnyEvent = { [T in EventType]: EventOf<T> }[EventType];

type EnvelopeClass = new () => EventEnvelope;

/**
 * One envelope subclass per type whose `attributes` is validated as that type's class. Built once
 * at load: class-validator and class-transformer keep their metadata per class.
 */
const ENVELOPE_CLASSES = new Map<EventType, EnvelopeClass>(
  (Object.keys(EVENT_ATTRIBUTES) as EventType[]).map((type) => [
    type,
    typedEnvelope(type, EVENT_ATTRIBUTES[type]),
  ]),
);

function typedEnvelope(type: EventType, attributes: AttributesClass): EnvelopeClass {
  class TypedEventEnvelope extends EventEnvelope {}
  Object.defineProperty(TypedEventEnvelope, 'name', { value: `${type}Envelope` });
  NestedObject(() => attributes)(TypedEventEnvelope.prototype, 'attributes');
  return TypedEventEnvelope;
}

/** The validating class for `type`, e.g. for a Nest ValidationPipe on an HTTP ingest edge. */
export function envelopeClassFor(type: EventType): EnvelopeClass {
  const cls = ENVELOPE_CLASSES.get(type);
  if (cls === undefined) throw new Error(`no envelope class for event type ${type}`);
  return cls;
}
