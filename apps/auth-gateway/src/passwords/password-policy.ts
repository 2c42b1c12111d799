import { COMMON_PASSWORDS } from './common-passwords';

/*
 * New-password rules (NIST SP 800-63B): a minimum length, no composition rules, refused when
 * common or derived from the account's own names. Pure: the codes name the rule, never the input.
 */

export type PasswordViolation = 'too_short' | 'too_long' | 'common' | 'contains_username' | 'repetitive';

export interface PasswordContext {
  minLength: number;
  /** Argon2 takes any length; this only bounds the work a request can ask for. */
  maxLength?: number;
  username?: string;
  email?: string;
}

export function checkPassword(password: string, ctx: PasswordContext): PasswordViolation[] {
  const out: PasswordViolation[] = [];
  const length = [...password].length; // code points, not UTF-16 units
  if (length < ctx.minLength) out.push('too_short');
  if (length > (ctx.maxLength ?? 256)) out.push('too_long');
  const lower = password.normalize('NFKC').toLowerCase();
  const stripped = lower.replace(/[\d\W_]+$/u, '').replace(/^[\d\W_]+/u, '');
  if (COMMON_PASSWORDS.has(lower) || (stripped.length >= 6 && COMMON_PASSWORDS.has(stripped)))
    out.push('common');
  const names = [ctx.username, ctx.email?.split('@')[0]]
    .filter((n): n is string => !!n && n.length >= 4)
    .map((n) => n.toLowerCase());
  if (names.some((n) => lower.includes(n))) out.push('contains_username');
  if (/^(.)\1+$/u.test(lower) || new Set(lower).size <= 2) out.push('repetitive');
  return out;
}
