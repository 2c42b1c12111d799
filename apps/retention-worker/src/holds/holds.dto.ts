import { IsISO8601, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';

// eslint-disable-next-line no-control-regex
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

/** A legal hold: by user, action and/or time range (at least one), with a reason. */
export class CreateHoldDto {
  @IsOptional()
  @IsUUID()
  user_id?: string;

  @IsOptional()
  @Matches(/^[A-Z][A-Z0-9_]{0,63}$/, { message: 'action must be an action name' })
  action?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @IsString()
  @Length(3, 500)
  @Matches(PRINTABLE, { message: 'reason must be printable text' })
  reason!: string;
}

export class ReleaseHoldDto {
  @IsString()
  @Length(3, 500)
  @Matches(PRINTABLE, { message: 'reason must be printable text' })
  reason!: string;
}
