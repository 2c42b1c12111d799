import { Injectable } from '@nestjs/common';
import type { RevocationCheck, VerifiedToken } from '@vigil/auth';
import { hardLocked, UsersRepository, type UserRow } from './users.repository';

const CURRENT_USER = Symbol.for('vigil.gateway.currentUser');

/** The user row the revocation check loaded for this request (saves /me a query). */
export function currentUserOf(req: unknown): UserRow | undefined {
  return (req as Record<symbol, UserRow | undefined>)[CURRENT_USER];
}

/**
 * The gateway knows more than a signature: a token is refused once its session is revoked (logout,
 * revoke, reuse, admin, security action), its user is deactivated or locked, or the roles it
 * carries are no longer the user's (the client refreshes and gets the current roles).
 */
@Injectable()
export class SessionRevocationCheck implements RevocationCheck {
  constructor(private readonly users: UsersRepository) {}

  async isRevoked(token: VerifiedToken, req: unknown): Promise<boolean> {
    if (!token.sid || !/^[0-9a-f-]{36}$/i.test(token.sid) || !/^[0-9a-f-]{36}$/i.test(token.sub)) return true;
    const row = await this.users.findSessionUser(token.sid, token.sub);
    if (!row || row.session_revoked || !row.is_active) return true;
    if (hardLocked(row)) return true;
    if ([...token.roles].sort().join() !== row.roles.join()) return true; // users.roles is kept sorted
    (req as Record<symbol, UserRow>)[CURRENT_USER] = row;
    return false;
  }
}
