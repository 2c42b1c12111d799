import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { EventOf } from '../../registry/event-registry';
import { ACTION_SIGNATURE_ALG, type ActionSignature } from './security-action.attributes';

/*
 * Signed security actions (issue 14 item 2). The monitor signs each SECURITY_ACTION with Ed25519;
 * the gateway applies only actions that verify against one of the monitor's public keys and are
 * inside their validity. Pure functions over node:crypto: key files are the apps' business.
 */

type SecurityAction = EventOf<'SECURITY_ACTION'>;

/** Why the gateway refuses an action's signature. */
export const ActionSignatureFailure = {
  UNSIGNED: 'unsigned',
  UNKNOWN_KEY: 'unknown_key',
  BAD_SIGNATURE: 'bad_signature',
  EXPIRED: 'expired',
  NOT_YET_VALID: 'not_yet_valid',
  VALIDITY_TOO_LONG: 'validity_too_long',
} as const;
export type ActionSignatureFailure = (typeof ActionSignatureFailure)[keyof typeof ActionSignatureFailure];

/** The key id: first 16 bytes (hex) of SHA-256 over the public key's SPKI DER (as the audit signer's fingerprint). */
export function actionKeyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 32);
}

/**
 * The bytes signed: a domain tag, then every field that decides what the gateway does (id, type,
 * producer, target, TTL, dry run, cause) and the signature's own key id and validity, as a JSON
 * array (fixed order; absent optionals are null), so no field can be changed or moved unnoticed.
 */
export function securityActionSigningBytes(
  event: SecurityAction,
  sig: Omit<ActionSignature, 'value'>,
): Buffer {
  const a = event.attributes;
  return Buffer.from(
    JSON.stringify([
      'vigil.security-action.v1',
      event.id,
      event.type,
      event.producer,
      event.occurredAt,
      a.action,
      a.target.kind,
      a.target.value,
      a.ttlSeconds ?? null,
      a.alertId ?? null,
      a.ruleId ?? null,
      a.dryRun,
      sig.alg,
      sig.kid,
      sig.issuedAt,
      sig.expiresAt,
    ]),
    'utf8',
  );
}

/** Returns the action with `attributes.signature` set: issued `now`, valid for `validitySeconds`. */
export function signSecurityAction(
  event: SecurityAction,
  privateKey: KeyObject,
  opts: { validitySeconds: number; now?: Date },
): SecurityAction {
  if (privateKey.asymmetricKeyType !== 'ed25519' || privateKey.type !== 'private')
    throw new Error('security actions are signed with an Ed25519 private key');
  const now = opts.now ?? new Date();
  const head = {
    alg: ACTION_SIGNATURE_ALG,
    kid: actionKeyId(privateKey),
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + opts.validitySeconds * 1000).toISOString(),
  } as const;
  const { signature: _old, ...attributes } = event.attributes;
  void _old;
  const unsigned = { ...event, attributes };
  const value = sign(null, securityActionSigningBytes(unsigned, head), privateKey).toString('base64url');
  return { ...unsigned, attributes: { ...attributes, signature: { ...head, value } } };
}

/** kid → public key: a Map, or anything that can look one up (a keyring that reloads on rotation). */
export interface ActionKeyring {
  get(kid: string): KeyObject | undefined;
}

export interface ActionVerifyPolicy {
  now: Date;
  /** Tolerated difference between the monitor's clock and ours. */
  clockSkewSeconds: number;
  /** Longest validity (expiresAt - issuedAt) accepted: bounds how long a captured action stays usable. */
  maxValiditySeconds: number;
}

/** `ok` with the key id, or why the action must not be applied. The keyring maps kid → public key (several during a rotation). */
export function verifySecurityAction(
  event: SecurityAction,
  keyring: ActionKeyring,
  policy: ActionVerifyPolicy,
): { ok: true; kid: string } | { ok: false; reason: ActionSignatureFailure; kid?: string } {
  const sig = event.attributes.signature;
  if (!sig) return { ok: false, reason: ActionSignatureFailure.UNSIGNED };
  const key = keyring.get(sig.kid);
  if (!key) return { ok: false, reason: ActionSignatureFailure.UNKNOWN_KEY, kid: sig.kid };
  let good = false;
  try {
    good = verify(null, securityActionSigningBytes(event, sig), key, Buffer.from(sig.value, 'base64url'));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: ActionSignatureFailure.BAD_SIGNATURE, kid: sig.kid };
  // Checked only once the signature holds: the times are then the monitor's own.
  const now = policy.now.getTime();
  const skew = policy.clockSkewSeconds * 1000;
  const issued = Date.parse(sig.issuedAt);
  const expires = Date.parse(sig.expiresAt);
  if (expires - issued > policy.maxValiditySeconds * 1000)
    return { ok: false, reason: ActionSignatureFailure.VALIDITY_TOO_LONG, kid: sig.kid };
  if (issued > now + skew) return { ok: false, reason: ActionSignatureFailure.NOT_YET_VALID, kid: sig.kid };
  if (expires + skew <= now) return { ok: false, reason: ActionSignatureFailure.EXPIRED, kid: sig.kid };
  return { ok: true, kid: sig.kid };
}
