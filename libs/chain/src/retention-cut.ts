/**
 * Signed retention cuts: when policy removes the oldest part of a chain, the writer signs "rows up
 * to seq N, whose last hash is H, removed by policy P at T". A verifier then starts the chain at
 * N+1 from H and reports the older rows as archived; a removal without a valid cut stays a gap.
 * Same Ed25519 keys and fingerprints as checkpoints, with its own domain-separation prefix so a
 * checkpoint signature can never be replayed as a cut (or the reverse).
 */
import { createHash, verify, type KeyObject } from 'node:crypto';
import type { CheckpointCheck } from './checkpoint';

export const RETENTION_CUT_DOMAIN = 'vigil.retention-cut.v1';

export interface RetentionCutBody {
  chainId: string;
  /** Rows with chain_seq <= upToSeq may be removed. */
  upToSeq: number;
  /** Hash of row upToSeq: row upToSeq + 1 links to it. */
  lastHash: string;
  /** created_at of row upToSeq, so a verifier can say which time range was archived. */
  lastCreatedAt?: string;
  /** The retention policy that removed the rows, e.g. `hot-90d`. */
  policy: string;
  /** When the cut was signed (the removal may follow). */
  cutAt: string;
  keyFingerprint: string;
}

export interface SignedRetentionCut extends RetentionCutBody {
  algorithm: 'ed25519';
  signature: string;
}

export function retentionCutBytes(b: RetentionCutBody): Buffer {
  return Buffer.from(
    [
      RETENTION_CUT_DOMAIN,
      b.chainId,
      b.upToSeq,
      b.lastHash,
      b.lastCreatedAt ?? '-',
      b.policy,
      b.cutAt,
      b.keyFingerprint,
    ].join('\n'),
    'utf8',
  );
}

export function retentionCutHash(c: SignedRetentionCut): string {
  return createHash('sha256').update(retentionCutBytes(c)).update(c.signature).digest('hex');
}

/** Refuses a body that could not be verified later (CheckpointSigner.signRetentionCut signs it). */
export function assertRetentionCutBody(body: Omit<RetentionCutBody, 'keyFingerprint'>): void {
  if (!Number.isSafeInteger(body.upToSeq) || body.upToSeq < 1)
    throw new Error(`retention cut needs upToSeq >= 1 (got ${body.upToSeq})`);
  if (!/^[0-9a-f]{64}$/.test(body.lastHash))
    throw new Error('retention cut needs the hex SHA-256 hash of its last row');
  if (!/^[A-Za-z0-9._:@-]{1,128}$/.test(body.policy))
    throw new Error('retention cut needs a policy name (letters, digits, . _ : @ -)');
}

export function verifyRetentionCut(c: SignedRetentionCut, keyring: Map<string, KeyObject>): CheckpointCheck {
  const key = keyring.get(c.keyFingerprint);
  if (!key) return 'unknown_key';
  try {
    return verify(null, retentionCutBytes(c), key, Buffer.from(c.signature, 'base64'))
      ? 'ok'
      : 'bad_signature';
  } catch {
    return 'bad_signature';
  }
}
