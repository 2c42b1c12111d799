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
import { MAX_ACTION_TTL_SECONDS, type UserView } from '@vigil/contracts';

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

/** A user as the admin API shows it (@vigil/contracts UserView, which the CLI reads): never the hash. */
export class UserDoc implements UserView {
  @ApiProperty({ format: 'uuid', example: '0193a6c2-0000-7000-8000-00000000002a' })
  id!: string;

  @ApiProperty({ example: 'alice' })
  username!: string;

  @ApiProperty({ example: 'alice@example.com' })
  email!: string;

  @ApiProperty({ enum: ROLES, isArray: true, example: ['auditor'] })
  roles!: string[];

  @ApiProperty({ example: false })
  isAdmin!: boolean;

  @ApiProperty({ example: true, description: 'false: deactivated' })
  isActive!: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'an admin or security-action lock in force: its end (ISO time), or "infinity" until unlocked; failed-login waits are not shown',
  })
  lockedUntil!: string | null;

  @ApiProperty({ type: String, nullable: true, enum: ['admin', 'security_action'] })
  lockReason!: string | null;

  @ApiProperty({ example: false, description: 'seed 000-44: a login needs a new password first' })
  mustResetPassword!: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export const USER_EXAMPLE: UserDoc = {
  id: '0193a6c2-0000-7000-8000-00000000002a',
  username: 'alice',
  email: 'alice@example.com',
  roles: ['auditor'],
  isAdmin: false,
  isActive: true,
  lockedUntil: null,
  lockReason: null,
  mustResetPassword: false,
  createdAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '2026-12-02T09:00:00.000Z',
};

/** POST /api/v1/admin/sessions/revoke-all's answer. */
export class RevokeAllSessionsResultDoc {
  @ApiProperty({ minimum: 0, example: 42, description: 'users who had a session ended' })
  users!: number;

  @ApiProperty({ minimum: 0, example: 57, description: 'sessions ended' })
  revoked!: number;

  @ApiProperty({ example: true, description: "the caller's own session was kept (no includeCaller)" })
  keptCallerSession!: boolean;
}
