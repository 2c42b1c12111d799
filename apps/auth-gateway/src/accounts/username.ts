import { BadRequestException } from '@nestjs/common';
import { ENVELOPE_LIMITS, normalizeUsername } from '@vigil/contracts';

/** What a stored username may be: no spaces or control characters, 1 to 320 characters (the users table's CHECK). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const STORABLE = /^[^\s\u0000-\u001f\u007f]+$/u;

/**
 * A new user's name as stored: NFKC, trimmed, lower-cased (normalizeUsername), and refused (400)
 * when that form breaks what the request was checked for. NFKC can lengthen a name (U+FDFA is 18
 * characters once normalised: 40 of them passed the DTO's 320 and failed the table's CHECK, 500)
 * and can add a space (U+00A8 becomes a space and a combining mark).
 */
export function canonicalUsername(input: string): string {
  const username = normalizeUsername(input);
  if (username.length > ENVELOPE_LIMITS.username || !STORABLE.test(username)) {
    throw new BadRequestException({
      type: 'https://vigil.dev/problems/invalid-username',
      title: 'Bad Request',
      detail: `username must be 1 to ${ENVELOPE_LIMITS.username} characters without spaces or control characters once normalised (NFKC, lower case)`,
    });
  }
  return username;
}
