// Shared by the chain library's specs only (not exported from index.ts; testing/ is left out of the
// build): a key, a keyring and chained rows with real hashes, so each spec states its scenario
// rather than its set-up.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { piiDigest } from '../canonical';
import { genesis, linkRows } from '../chainer';
import { CheckpointSigner, checkpointHash, keyFingerprint, type SignedCheckpoint } from '../checkpoint';
import type { StoredRow } from '../verifier';

export const CHAIN = 'auth.events.v1:0';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
export const signer = new CheckpointSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
export const keyring = new Map([[keyFingerprint(publicKey), publicKey]]);

/** A signer whose key is not in `keyring`. */
export function strangerSigner(): CheckpointSigner {
  return new CheckpointSigner(
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
}

export function makeRows(n: number, chainId = CHAIN): StoredRow[] {
  const base = Array.from({ length: n }, (_, i) => {
    const salt = randomBytes(16);
    return {
      eventId: `0190a1b2-0000-7000-8000-${String(i).padStart(12, '0')}`,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      action: 'FAILED_AUTH_LOGIN',
      userId: null,
      outcome: 'failure',
      reason: null,
      producer: 'auth-gateway',
      requestId: `req-${i}`,
      actorUserId: null,
      actorRoles: null,
      ipDigest: piiDigest(salt, 'ip', `203.0.113.${i % 250}`),
      userAgentDigest: null,
      usernameDigest: null,
      details: { attemptCount: i },
      ipAddress: `203.0.113.${i % 250}`,
      userAgent: null,
      username: null,
      piiSalt: salt,
    };
  });
  return linkRows(genesis(chainId), base).rows;
}

/** Linked checkpoints at `positions`, signed a second apart. */
export function checkpointsFor(rows: StoredRow[], positions: number[], chainId = CHAIN): SignedCheckpoint[] {
  let prev: string | null = null;
  return positions.map((p, i) => {
    const cp = signer.sign({
      chainId,
      position: p,
      headHash: p === 0 ? '0'.repeat(64) : rows[p - 1].hash!,
      prevCheckpointHash: prev,
      signedAt: new Date(Date.UTC(2026, 0, 2, 0, 0, i)).toISOString(),
      headCreatedAt: p === 0 ? undefined : rows[p - 1].createdAt,
    });
    prev = checkpointHash(cp);
    return cp;
  });
}
