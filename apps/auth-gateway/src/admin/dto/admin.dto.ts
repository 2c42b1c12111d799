import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { ROLES, type Role } from '@vigil/auth';
import { MAX_ACTION_TTL_SECONDS } from '@vigil/contracts';

export class CreateUserDto {
  @ApiProperty({ example: 'alice', maxLength: 320 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(320)
  // eslint-disable-next-line no-control-regex
  @Matches(/^[^\s\u0000-\u001f\u007f]+$/u, {
    message: 'username must not contain spaces or control characters',
  })
  username!: string;

  @ApiProperty({ example: 'alice@example.com' })
  @IsEmail()
  @MaxLength(320)
  email!: string;

  @ApiProperty({ format: 'password', maxLength: 1024 })
  @IsString()
  @MaxLength(1024)
  password!: string;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, default: ['user'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(ROLES.length)
  @IsIn(ROLES, { each: true })
  roles?: Role[];
}

export class SetRolesDto {
  @ApiProperty({ enum: ROLES, isArray: true })
  @IsArray()
  @ArrayMaxSize(ROLES.length)
  @IsIn(ROLES, { each: true })
  roles!: Role[];
}

export class LockUserDto {
  @ApiPropertyOptional({ description: 'seconds; absent locks until an administrator unlocks' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ACTION_TTL_SECONDS)
  ttlSeconds?: number;

  @ApiPropertyOptional({ maxLength: 200, description: 'why (free text, kept in the audit event)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[^\u0000-\u001f\u007f]+$/u, { message: 'reason must not contain control characters' }) // eslint-disable-line no-control-regex
  reason?: string;
}

export class ResetPasswordDto {
  @ApiProperty({ format: 'password', maxLength: 1024 })
  @IsString()
  @MaxLength(1024)
  password!: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'a temporary password: the user must still choose their own before logging in (POST /api/v1/auth/password)',
  })
  @IsOptional()
  @IsBoolean()
  requireChange?: boolean;
}

/** Seed 000-44: force a password reset. */
export class RequirePasswordResetDto {
  @ApiPropertyOptional({ maxLength: 200, description: 'why (free text, kept in the audit event)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[^\u0000-\u001f\u007f]+$/u, { message: 'reason must not contain control characters' }) // eslint-disable-line no-control-regex
  reason?: string;
}

export class ListUsersQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'only administrators (seed 001-58)' })
  @IsOptional()
  @IsIn(['true', 'false'])
  admin?: 'true' | 'false';

  @ApiPropertyOptional({ default: 100, maximum: 500 })
  @IsOptional()
  @Matches(/^\d{1,3}$/)
  limit?: string;

  @ApiPropertyOptional({ description: 'the user with this username or e-mail (as a login matches it)' })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  login?: string;
}

/** Revoking every session is deliberate: a reason is required (and an empty body refused). */
export class RevokeAllSessionsDto {
  @ApiProperty({ maxLength: 200, example: 'signing key exposed, INC-12', description: 'why (logged)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/^[^\u0000-\u001f\u007f]+$/u, { message: 'reason must not contain control characters' }) // eslint-disable-line no-control-regex
  reason!: string;

  @ApiPropertyOptional({ default: false, description: "end the caller's own session too" })
  @IsOptional()
  @IsBoolean()
  includeCaller?: boolean;
}
