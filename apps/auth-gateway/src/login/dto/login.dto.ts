import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';

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

/**
 * OAuth 2.0 token endpoint (RFC 6749 §4.3 and §6), form-encoded as `curl -d` sends it (seed 001)
 * or JSON. `grant_type` defaults to `password`.
 */
export class TokenRequestDto {
  @ApiPropertyOptional({ enum: ['password', 'refresh_token'], default: 'password' })
  @IsOptional()
  @IsIn(['password', 'refresh_token'])
  grant_type?: 'password' | 'refresh_token';

  @ApiPropertyOptional({ maxLength: 320 })
  @ValidateIf((o: TokenRequestDto) => (o.grant_type ?? 'password') === 'password')
  @IsString()
  @IsNotEmpty()
  @MaxLength(320)
  username?: string;

  @ApiPropertyOptional({ format: 'password', maxLength: 1024 })
  @ValidateIf((o: TokenRequestDto) => (o.grant_type ?? 'password') === 'password')
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @ValidateIf((o: TokenRequestDto) => o.grant_type === 'refresh_token')
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refresh_token?: string;

  @ApiPropertyOptional({ description: "ignored: scopes are the user's roles" })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  scope?: string;

  @ApiPropertyOptional({ description: 'ignored (public clients)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_id?: string;
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

/** RFC 7009 fields, all optional: with no body, the bearer's own session is revoked (seed 001). */
export class RevokeDto {
  @ApiPropertyOptional({ description: 'a refresh token of the caller to revoke (its whole family)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  token?: string;

  @ApiPropertyOptional({ enum: ['refresh_token', 'access_token'] })
  @IsOptional()
  @IsIn(['refresh_token', 'access_token'])
  token_type_hint?: string;
}

export class TokenResponseDto {
  @ApiProperty() access_token!: string;
  @ApiProperty({ example: 'Bearer' }) token_type!: string;
  @ApiProperty({ description: 'seconds' }) expires_in!: number;
  @ApiProperty() refresh_token!: string;
  @ApiProperty({ description: 'seconds' }) refresh_expires_in!: number;
  @ApiProperty({ description: 'the roles, space-separated' }) scope!: string;
}
