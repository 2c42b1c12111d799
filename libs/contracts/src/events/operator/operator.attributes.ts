import { Bool, Int, OneOf, Optional, Str } from '../../validation/decorators';
import { IDENTIFIER, PRINTABLE, SERVICE_NAME } from '../../validation/patterns';

/*
 * Attributes of operators' actions on the gateway (auth.events.v1, actor = the admin): forced
 * password resets, password changes, maintenance mode, signing-key rotation and runtime log levels
 * (seeds 000-42, 000-44, 002-32, 004-34).
 */

/** PASSWORD_RESET_REQUIRED: the account must choose a new password before its next login; its sessions end. */
export class PasswordResetRequiredAttributes {
  @Int(0, 1_000_000)
  sessionsRevoked!: number;

  /** The admin's note (free text, bounded, no control characters). */
  @Optional()
  @Str(200, { pattern: PRINTABLE })
  note?: string;
}

export const PasswordChangeTrigger = { SELF_SERVICE: 'self_service', ADMIN: 'admin' } as const;
export type PasswordChangeTrigger = (typeof PasswordChangeTrigger)[keyof typeof PasswordChangeTrigger];

/** PASSWORD_CHANGED: by the user (current password proven) or set by an admin. Never the password itself. */
export class PasswordChangedAttributes {
  @OneOf(Object.values(PasswordChangeTrigger))
  trigger!: PasswordChangeTrigger;

  /** The account must still choose its own password at the next login (an admin's temporary one). */
  @Bool()
  mustReset!: boolean;

  @Optional()
  @Int(0, 1_000_000)
  sessionsRevoked?: number;
}

/** MAINTENANCE_MODE_CHANGED: logins and refreshes refused (503) while enabled, on every instance. */
export class MaintenanceModeChangedAttributes {
  @Bool()
  enabled!: boolean;

  @Optional()
  @Str(200, { pattern: PRINTABLE })
  reason?: string;
}

export const KeyRotationTrigger = { ADMIN: 'admin', SCHEDULE: 'schedule' } as const;
export type KeyRotationTrigger = (typeof KeyRotationTrigger)[keyof typeof KeyRotationTrigger];

/** SIGNING_KEY_ROTATED: a new access-token signing key (kid = its public RFC 7638 thumbprint). */
export class SigningKeyRotatedAttributes {
  @Str(128, { pattern: IDENTIFIER })
  kid!: string;

  @Optional()
  @Str(128, { pattern: IDENTIFIER })
  previousKid?: string;

  @OneOf(Object.values(KeyRotationTrigger))
  trigger!: KeyRotationTrigger;

  /** Earlier keys were withdrawn from the JWKS at once: tokens they signed stop verifying. */
  @Bool()
  previousRetired!: boolean;

  @Optional()
  @Str(200, { pattern: PRINTABLE })
  reason?: string;
}

export const LogLevelName = { ERROR: 'error', WARN: 'warn', INFO: 'info', DEBUG: 'debug' } as const;
export type LogLevelName = (typeof LogLevelName)[keyof typeof LogLevelName];

/** LOG_LEVEL_CHANGED: a service's log level changed at runtime (seed 002-32), for ttlSeconds or until changed again. */
export class LogLevelChangedAttributes {
  @Str(64, { pattern: SERVICE_NAME })
  service!: string;

  @OneOf(Object.values(LogLevelName))
  before!: LogLevelName;

  @OneOf(Object.values(LogLevelName))
  after!: LogLevelName;

  @Optional()
  @Int(1, 7 * 86_400)
  ttlSeconds?: number;
}
