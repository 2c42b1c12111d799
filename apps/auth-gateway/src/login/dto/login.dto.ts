import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'alice@example.com', maxLength: 320, description: 'username or e-mail address' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(320)
  username!: string;

  @ApiProperty({ format: 'password', maxLength: 1024 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ example: 'alice', maxLength: 320, description: 'username or e-mail address' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(320)
  username!: string;

  @ApiProperty({ format: 'password', maxLength: 1024 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  currentPassword!: string;

  @ApiProperty({ format: 'password', maxLength: 1024, description: 'checked against the password policy' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  newPassword!: string;
}

export class RefreshDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refreshToken!: string;
}

export class LogoutDto {
  @ApiPropertyOptional({ default: false, description: 'end every session of the user, not only this one' })
  @IsOptional()
  @IsBoolean()
  allSessions?: boolean;
}

/** GET /api/v1/auth/me (and seed 004's /api/auth/me): the caller, from the live user row and the token. */
export class MeDoc {
  @ApiProperty({ format: 'uuid', example: '0193a6c2-0000-7000-8000-00000000002a' })
  id!: string;

  @ApiProperty({ example: 'alice' })
  username!: string;

  @ApiProperty({ example: 'alice@example.com' })
  email!: string;

  @ApiProperty({ type: [String], example: ['auditor'], description: "the user's roles now" })
  roles!: string[];

  @ApiProperty({ example: false })
  isAdmin!: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: "the token's session (sid)" })
  sessionId?: string;

  @ApiProperty({ format: 'date-time', description: "the access token's exp" })
  tokenExpiresAt!: string;
}

export const ME_EXAMPLE: MeDoc = {
  id: '0193a6c2-0000-7000-8000-00000000002a',
  username: 'alice',
  email: 'alice@example.com',
  roles: ['auditor'],
  isAdmin: false,
  sessionId: '0193a6c2-2222-7000-8000-000000000002',
  tokenExpiresAt: '2026-12-02T09:10:00.000Z',
};
