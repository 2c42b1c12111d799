/**
 * Signed checkpoints: a chain's head (position and hash) signed with Ed25519 at a time, linked to
 * the previous checkpoint. Published outside the database, they make a rewrite of the chain by
 * someone with database superuser rights provable.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import {
  assertRetentionCutBody,
  retentionCutBytes,
  type RetentionCutBody,
  type SignedRetentionCut,
} from './retention-cut';

export interface CheckpointBody {
  chainId: string;
  position: number;
  headHash: string;
  prevCheckpointHash: string | null;
  keyFingerprint: string;
  signedAt: string;
  headCreatedAt?: string;
}

export interface SignedCheckpoint extends CheckpointBody {
  algorithm: 'ed25519';
  signature: string;
}

export function checkpointBytes(b: CheckpointBody): Buffer {
  return Buffer.from(
    [
      'vigil.checkpoint.v1',
      b.chainId,
      b.position,
      b.headHash,
      b.prevCheckpointHash ?? '-',
      b.keyFingerprint,
      b.signedAt,
      b.headCreatedAt ?? '-',
    ].join('\n'),
    'utf8',
  );
}

/** The hash a following checkpoint links to. */
export function checkpointHash(c: SignedCheckpoint): string {
  return createHash('sha256').update(checkpointBytes(c)).update(c.signature).digest('hex');
}

/** First 16 bytes (hex) of SHA-256 over the public key's SPKI DER encoding. */
export function keyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 32);
}

export class CheckpointSigner {
  readonly fingerprint: string;
  private readonly key: KeyObject;

  constructor(privateKeyPem: string) {
    this.key = createPrivateKey(privateKeyPem);
    if (this.key.asymmetricKeyType !== 'ed25519') throw new Error('checkpoint signing key must be Ed25519');
    this.fingerprint = keyFingerprint(this.key);
  }

  sign(body: Omit<CheckpointBody, 'keyFingerprint'>): SignedCheckpoint {
    const full: CheckpointBody = { ...body, keyFingerprint: this.fingerprint };
    const signature = sign(null, checkpointBytes(full), this.key).toString('base64');
    return { ...full, algorithm: 'ed25519', signature };
  }

  /** A signed retention cut (retention-cut.ts): same key, its own domain prefix. */
  signRetentionCut(body: Omit<RetentionCutBody, 'keyFingerprint'>): SignedRetentionCut {
    assertRetentionCutBody(body);
    const full: RetentionCutBody = { ...body, keyFingerprint: this.fingerprint };
    const signature = sign(null, retentionCutBytes(full), this.key).toString('base64');
    return { ...full, algorithm: 'ed25519', signature };
  }
}

export type CheckpointCheck = 'ok' | 'unknown_key' | 'bad_signature';

/** Checks a checkpoint's signature against a keyring of public keys (fingerprint → key). */
export function verifyCheckpointSignature(
  c: SignedCheckpoint,
  keyring: Map<string, KeyObject>,
): CheckpointCheck {
  const key = keyring.get(c.keyFingerprint);
  if (!key) return 'unknown_key';
  let ok = false;
  try {
    ok = verify(null, checkpointBytes(c), key, Buffer.from(c.signature, 'base64'));
  } catch {
    ok = false;
  }
  return ok ? 'ok' : 'bad_signature';
}
