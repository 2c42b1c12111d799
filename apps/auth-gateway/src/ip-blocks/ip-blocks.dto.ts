import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateBy } from 'class-validator';
import { isIpOrCidr, MAX_ACTION_TTL_SECONDS, type IpBlockView } from '@vigil/contracts';

/** Narrowest prefixes a block may use: a wider network would shut out a whole provider (or everyone). */
export const MIN_PREFIX = { 4: 8, 6: 32 } as const;

/** An address, or a network no wider than /8 (IPv4) or /32 (IPv6). */
export function isBlockableTarget(value: unknown): boolean {
  if (!isIpOrCidr(value)) return false;
  const [ip, bits] = value.split('/');
  if (bits === undefined) return true;
  return Number(bits) >= (ip.includes(':') ? MIN_PREFIX[6] : MIN_PREFIX[4]);
}

const IsBlockableTarget = () =>
  ValidateBy({
    name: 'isBlockableTarget',
    validator: {
      validate: isBlockableTarget,
      defaultMessage: () =>
        `ip must be an IPv4/IPv6 address or a CIDR network no wider than /${MIN_PREFIX[4]} (IPv4) or /${MIN_PREFIX[6]} (IPv6)`,
    },
  });

export class CreateIpBlockDto {
  @ApiProperty({
    example: '203.0.113.7',
    description: `an address, or a CIDR network (at most /${MIN_PREFIX[4]} IPv4, /${MIN_PREFIX[6]} IPv6)`,
  })
  @IsString()
  @MaxLength(49)
  @IsBlockableTarget()
  ip!: string;

  @ApiProperty({
    example: 3600,
    description: `seconds the block holds (1 to ${MAX_ACTION_TTL_SECONDS}); blocks always expire`,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_ACTION_TTL_SECONDS)
  ttlSeconds!: number;

  @ApiProperty({ example: 'credential stuffing from this range, ticket SEC-42', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/^[^\u0000-\u001f\u007f]+$/u, { message: 'reason must not contain control characters' }) // eslint-disable-line no-control-regex
  reason!: string;
}

/** An entry of the deny-list (@vigil/contracts IpBlockView, which `npm run ip -- list` reads). */
export class IpBlockDoc implements IpBlockView {
  @ApiProperty({ example: '203.0.113.7', description: 'an address or a CIDR network' })
  ip!: string;

  @ApiProperty({ format: 'date-time' })
  blockedUntil!: string;

  @ApiProperty({ enum: ['admin', 'security_action'], description: 'by hand, or by the security monitor' })
  source!: string;

  @ApiProperty({ type: String, nullable: true, description: "the admin's reason" })
  note!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "the admin's user id; null for the monitor's blocks",
  })
  blockedBy!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "the monitor's alert, for its blocks" })
  alertId!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export const IP_BLOCK_EXAMPLE: IpBlockDoc = {
  ip: '203.0.113.7',
  blockedUntil: '2026-12-02T10:00:00.000Z',
  source: 'admin',
  note: 'credential stuffing from this range, ticket SEC-42',
  blockedBy: '0193a6c2-0000-7000-8000-000000000001',
  alertId: null,
  createdAt: '2026-12-02T09:00:00.000Z',
};
