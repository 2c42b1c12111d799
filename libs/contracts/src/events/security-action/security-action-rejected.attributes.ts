import { NestedObject, OneOf, Optional, Str, UuidV7 } from '../../validation/decorators';
import { CODE, HEX_SHA256 } from '../../validation/patterns';
import { ActionSignatureFailure } from './security-action.signature';
import { ACTION_KEY_ID, ActionTarget, SecurityActionKind } from './security-action.attributes';

/** Why the gateway did not apply a security action: the signature's failures, a replay, or a policy limit. */
export const ActionRejectionReason = {
  ...ActionSignatureFailure,
  /** The action id was applied (or decided) before: the gateway's record is durable. */
  REPLAYED: 'replayed',
  /** Automation never locks an admin account: a human decides (the monitor raises an alert). */
  ADMIN_TARGET: 'admin_target',
  /** More accounts locked by automation in the last minute than the cap allows. */
  LOCK_RATE_CAP: 'lock_rate_cap',
} as const;
export type ActionRejectionReason = (typeof ActionRejectionReason)[keyof typeof ActionRejectionReason];

/** Policy refusals (outcome `denied`) ask for a human; the rest (outcome `failure`) say the command itself is not trustworthy. */
export const POLICY_REJECTIONS: readonly ActionRejectionReason[] = [
  ActionRejectionReason.ADMIN_TARGET,
  ActionRejectionReason.LOCK_RATE_CAP,
];

/** SECURITY_ACTION_REJECTED: the gateway refused a command from security.actions.v1 (on auth.events.v1). */
export class SecurityActionRejectedAttributes {
  /** The refused SECURITY_ACTION's event id. */
  @UuidV7()
  actionEventId!: string;

  @OneOf(Object.values(SecurityActionKind))
  action!: SecurityActionKind;

  @NestedObject(() => ActionTarget)
  target!: ActionTarget;

  @OneOf(Object.values(ActionRejectionReason))
  rejection!: ActionRejectionReason;

  /** The key id the action claimed, if it was signed. */
  @Optional()
  @Str(32, { pattern: ACTION_KEY_ID })
  kid?: string;

  @Optional()
  @Str(64, { pattern: HEX_SHA256 })
  alertId?: string;

  @Optional()
  @Str(128, { pattern: CODE })
  ruleId?: string;
}
