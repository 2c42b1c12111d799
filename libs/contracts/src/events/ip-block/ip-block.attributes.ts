import { isIP } from 'class-validator';
import { ConsistentWith, Int, OneOf, Optional, Str, UtcTimestamp } from '../../validation/decorators';
import { PRINTABLE } from '../../validation/patterns';

export const IpBlockTrigger = { ADMIN: 'admin', SECURITY_ACTION: 'security_action' } as const;
export type IpBlockTrigger = (typeof IpBlockTrigger)[keyof typeof IpBlockTrigger];

/** An address or a network in CIDR form (`203.0.113.0/24`, `2001:db8::/48`), host bits zero or not. */
export function isIpOrCidr(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 49) return false;
  const [ip, bits, ...rest] = value.split('/');
  if (rest.length) return false;
  const family = isIP(ip, 4) ? 4 : isIP(ip, 6) ? 6 : 0;
  if (!family) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** IP_BLOCKED: an address or network put on the gateway's deny-list (by an admin, or a security action). */
export class IpBlockedAttributes {
  @Str(49)
  @ConsistentWith<IpBlockedAttributes>('ipOrCidr', (_a, v) => isIpOrCidr(v))
  ip!: string;

  @OneOf(Object.values(IpBlockTrigger))
  trigger!: IpBlockTrigger;

  @Int(1, 30 * 86_400)
  ttlSeconds!: number;

  @UtcTimestamp()
  blockedUntil!: string;

  /** The admin's note (free text, bounded, no control characters). */
  @Optional()
  @Str(200, { pattern: PRINTABLE })
  note?: string;
}

/** IP_UNBLOCKED: a deny-list entry lifted before it expired. */
export class IpUnblockedAttributes {
  @Str(49)
  @ConsistentWith<IpUnblockedAttributes>('ipOrCidr', (_a, v) => isIpOrCidr(v))
  ip!: string;

  @OneOf(Object.values(IpBlockTrigger))
  trigger!: IpBlockTrigger;

  @Optional()
  @Str(200, { pattern: PRINTABLE })
  note?: string;
}
