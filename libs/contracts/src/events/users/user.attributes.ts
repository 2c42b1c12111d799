import { Int, OneOf, Optional, Str, StrArray, UtcTimestamp } from '../../validation/decorators';
import { HEX_SHA256, IDENTIFIER, PRINTABLE, ROLE_NAME } from '../../validation/patterns';

/*
 * Attributes of account lifecycle events (auth.events.v1). Changes made with SQL outside the
 * gateway are audited too (a trigger writes them to the outbox), hence `channel`.
 */

const ROLES_MAX = 32;
const ROLE_MAX = 64;

export const ChangeChannel = { API: 'api', DB_TRIGGER: 'db_trigger' } as const;
export type ChangeChannel = (typeof ChangeChannel)[keyof typeof ChangeChannel];

/** ROLE_CHANGED */
export class RoleChangedAttributes {
  @StrArray(ROLES_MAX, ROLE_MAX, ROLE_NAME)
  before!: string[];

  @StrArray(ROLES_MAX, ROLE_MAX, ROLE_NAME)
  after!: string[];

  @Str(64, { pattern: IDENTIFIER })
  targetUserId!: string;

  @Optional()
  @OneOf(Object.values(ChangeChannel))
  channel?: ChangeChannel;
}

export const LockTrigger = {
  FAILED_LOGINS: 'failed_logins',
  ADMIN: 'admin',
  SECURITY_ACTION: 'security_action',
  EXPIRY: 'expiry',
} as const;
export type LockTrigger = (typeof LockTrigger)[keyof typeof LockTrigger];

/** ACCOUNT_LOCKED */
export class AccountLockedAttributes {
  @OneOf(Object.values(LockTrigger))
  trigger!: LockTrigger;

  /** Absent for an indefinite lock. */
  @Optional()
  @UtcTimestamp()
  lockedUntil?: string;

  /** The alert behind a security-action lock. */
  @Optional()
  @Str(64, { pattern: HEX_SHA256 })
  alertId?: string;

  /** An admin's reason for the lock (free text, bounded, no control characters). */
  @Optional()
  @Str(200, { pattern: PRINTABLE })
  note?: string;
}

/** ACCOUNT_UNLOCKED */
export class AccountUnlockedAttributes {
  @OneOf(Object.values(LockTrigger))
  trigger!: LockTrigger;
}

/** USER_CREATED */
export class UserCreatedAttributes {
  @StrArray(ROLES_MAX, ROLE_MAX, ROLE_NAME)
  roles!: string[];

  @Optional()
  @OneOf(Object.values(ChangeChannel))
  channel?: ChangeChannel;
}

/** USER_DEACTIVATED: deactivation also revokes sessions and refresh families. */
export class UserDeactivatedAttributes {
  @Optional()
  @OneOf(Object.values(ChangeChannel))
  channel?: ChangeChannel;

  @Optional()
  @Int(0, 1_000_000)
  sessionsRevoked?: number;
}

/** USER_REACTIVATED */
export class UserReactivatedAttributes {
  @Optional()
  @OneOf(Object.values(ChangeChannel))
  channel?: ChangeChannel;
}
