import { isIP } from 'class-validator';
import {
  Bool,
  ConsistentWith,
  Int,
  NestedObject,
  OneOf,
  Optional,
  Str,
  UtcTimestamp,
} from '../../validation/decorators';
import { CODE, HEX_SHA256, IDENTIFIER } from '../../validation/patterns';

export const SecurityActionKind = {
  LOCK_ACCOUNT: 'LOCK_ACCOUNT',
  UNLOCK_ACCOUNT: 'UNLOCK_ACCOUNT',
  BLOCK_IP: 'BLOCK_IP',
  REVOKE_SESSIONS: 'REVOKE_SESSIONS',
} as const;
export type SecurityActionKind = (typeof SecurityActionKind)[keyof typeof SecurityActionKind];

export const ActionTargetKind = { USER: 'user', IP: 'ip' } as const;
export type ActionTargetKind = (typeof ActionTargetKind)[keyof typeof ActionTargetKind];

/** BLOCK_IP targets an IP; every other action targets a user. */
export function targetKindOf(action: SecurityActionKind): ActionTargetKind {
  return action === SecurityActionKind.BLOCK_IP ? ActionTargetKind.IP : ActionTargetKind.USER;
}

/** Automated responses expire: a false positive must not lock someone out for good. */
export const MAX_ACTION_TTL_SECONDS = 30 * 86_400;

export class ActionTarget {
  @OneOf(Object.values(ActionTargetKind))
  kind!: ActionTargetKind;

  /** A user id, or an IP address. */
  @Str(64, { pattern: IDENTIFIER })
  @ConsistentWith<ActionTarget>('ipTargetIsIp', (t, v) => t.kind !== ActionTargetKind.IP || isIP(v))
  value!: string;
}

export const ACTION_SIGNATURE_ALG = 'Ed25519';

/** Key ids are the first 16 bytes (hex) of SHA-256 over the public key's SPKI DER. */
export const ACTION_KEY_ID = /^[0-9a-f]{32}$/;

/**
 * The monitor's Ed25519 signature over the action's canonical form (security-action.signature.ts):
 * which key (`kid`), when it was issued and until when the gateway may apply it.
 */
export class ActionSignature {
  @OneOf([ACTION_SIGNATURE_ALG])
  alg!: typeof ACTION_SIGNATURE_ALG;

  @Str(32, { pattern: ACTION_KEY_ID })
  kid!: string;

  @UtcTimestamp()
  issuedAt!: string;

  @UtcTimestamp()
  expiresAt!: string;

  /** 64 bytes, base64url. */
  @Str(86, { min: 86, pattern: /^[A-Za-z0-9_-]+$/ })
  value!: string;
}

/** SECURITY_ACTION: a command from the monitor to the gateway. */
export class SecurityActionAttributes {
  @OneOf(Object.values(SecurityActionKind))
  action!: SecurityActionKind;

  @NestedObject(() => ActionTarget)
  @ConsistentWith<SecurityActionAttributes>('targetMatchesAction', (a, target) =>
    Object.values(SecurityActionKind).includes(a.action) && typeof target === 'object' && target !== null
      ? (target as ActionTarget).kind === targetKindOf(a.action)
      : true,
  )
  target!: ActionTarget;

  /** How long the action holds; absent means the gateway's default for that action. */
  @Optional()
  @Int(1, MAX_ACTION_TTL_SECONDS)
  ttlSeconds?: number;

  /** The alert that caused it, if any (manual actions have none). */
  @Optional()
  @Str(64, { pattern: HEX_SHA256 })
  alertId?: string;

  @Optional()
  @Str(128, { pattern: CODE })
  ruleId?: string;

  /** Monitor-only mode: the gateway logs what it would do and does nothing. */
  @Bool()
  dryRun!: boolean;

  /**
   * Absent on the wire means unsigned: the event still decodes, so the gateway can refuse it as
   * a decision (an event and a metric) rather than send it to the DLQ.
   */
  @Optional()
  @NestedObject(() => ActionSignature)
  signature?: ActionSignature;
}
