import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** Opaque refresh tokens: 256 random bits, prefixed so secret scanners can recognise them. */
export const REFRESH_TOKEN_PREFIX = 'vrt_';
export const REFRESH_TOKEN_PATTERN = /^vrt_[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = REFRESH_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

/** Only this digest is stored: a database leak yields no usable token. */
export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/*
 * The successor of a rotated token, kept so that a retry within the grace (the response to the
 * first request was lost, or two tabs raced) gets the very same pair back rather than a sibling
 * chain. Why this is safe at rest:
 * - it is encrypted (AES-256-GCM) under a key derived (HKDF-SHA256) from the *predecessor* token,
 *   which the database never holds: only SHA-256 of it. HKDF's HMAC extraction is a different
 *   function from that digest, so someone reading the database, or a backup, cannot derive the
 *   key; only a caller presenting the predecessor can open the box, and that caller is exactly the
 *   one the grace retry would answer anyway;
 * - the key is bound to this purpose (HKDF info) and the ciphertext to the row (the predecessor's
 *   hash as associated data), so a box cannot be moved to another row;
 * - no server-side secret is involved, so there is no key to manage, leak or rotate, and every
 *   instance can open the box;
 * - the box is erased when the retry is used, when the successor is itself rotated, and by the
 *   housekeeping once the grace is over.
 */
const SEAL_INFO = 'vigil/auth-gateway/refresh-successor/v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function sealKey(predecessor: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(predecessor, 'utf8'), Buffer.alloc(0), SEAL_INFO, 32));
}

/** The successor token encrypted for whoever holds the predecessor: iv | tag | ciphertext. */
export function sealSuccessor(successor: string, predecessor: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', sealKey(predecessor), iv);
  cipher.setAAD(hashRefreshToken(predecessor));
  const body = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** The successor, or undefined when the box does not open with this predecessor (or was altered). */
export function openSuccessor(sealed: Buffer, predecessor: string): string | undefined {
  if (sealed.length <= IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey(predecessor), sealed.subarray(0, IV_BYTES));
    decipher.setAAD(hashRefreshToken(predecessor));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const token = Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
    return REFRESH_TOKEN_PATTERN.test(token) ? token : undefined;
  } catch {
    return undefined;
  }
}
