import { createHash, randomBytes } from 'node:crypto';

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
