import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { LegalHoldView } from '@vigil/contracts';
import { IsISO8601, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';

// eslint-disable-next-line no-control-regex
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

/** A legal hold: by user, action and/or time range (at least one), with a reason. */
export class CreateHoldDto {
  @ApiPropertyOptional({ format: 'uuid', description: "hold this user's rows" })
  @IsOptional()
  @IsUUID()
  user_id?: string;

  @ApiPropertyOptional({ pattern: '^[A-Z][A-Z0-9_]{0,63}$', example: 'ROLE_CHANGED' })
  @IsOptional()
  @Matches(/^[A-Z][A-Z0-9_]{0,63}$/, { message: 'action must be an action name' })
  action?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'rows from this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'rows before this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiProperty({ minLength: 3, maxLength: 500, example: 'litigation hold, case 2026-114' })
  @IsString()
  @Length(3, 500)
  @Matches(PRINTABLE, { message: 'reason must be printable text' })
  reason!: string;
}

export class ReleaseHoldDto {
  @ApiProperty({ minLength: 3, maxLength: 500, example: 'case closed' })
  @IsString()
  @Length(3, 500)
  @Matches(PRINTABLE, { message: 'reason must be printable text' })
  reason!: string;
}

/** A legal hold as the API shows it (@vigil/contracts LegalHoldView). */
export class LegalHoldDoc implements LegalHoldView {
  @ApiProperty({ pattern: '^hold-[0-9a-f]{12}$', example: 'hold-0123456789ab' })
  holdId!: string;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  userId!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'ROLE_CHANGED' })
  action!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  from!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  to!: string | null;

  @ApiProperty({ example: 'litigation hold, case 2026-114' })
  reason!: string;

  @ApiProperty({ description: 'the admin who set it (user id)' })
  createdBy!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  releasedAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  releasedBy!: string | null;

  @ApiProperty({ type: String, nullable: true })
  releaseReason!: string | null;
}

export class LegalHoldListDoc {
  @ApiProperty({ type: [LegalHoldDoc] })
  items!: LegalHoldDoc[];
}

export const LEGAL_HOLD_EXAMPLE = {
  holdId: 'hold-0123456789ab',
  userId: null,
  action: 'ROLE_CHANGED',
  from: null,
  to: null,
  reason: 'litigation hold, case 2026-114',
  createdBy: '0193a6c2-0000-7000-8000-000000000001',
  createdAt: '2026-12-02T09:00:00.000Z',
  releasedAt: null,
  releasedBy: null,
  releaseReason: null,
};
