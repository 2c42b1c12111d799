/*
 * OpenAPI shapes of the OAuth endpoints. Documentation only: the controller reads these bodies itself
 * (token-request.ts), since RFC 6749 §3.2 has unknown parameters ignored and errors in §5.2's shape.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class TokenRequestDto {
  @ApiPropertyOptional({
    enum: ['password', 'refresh_token'],
    description: 'required, except from a request naming no client (then password: seed 001-55)',
  })
  grant_type?: string;
  @ApiPropertyOptional({ maxLength: 320, description: 'password grant: username or e-mail' })
  username?: string;
  @ApiPropertyOptional({ format: 'password', maxLength: 1024, description: 'password grant' })
  password?: string;
  @ApiPropertyOptional({ maxLength: 200, description: 'refresh_token grant' })
  refresh_token?: string;
  @ApiPropertyOptional({ description: "accepted; the token's scope is the user's roles" })
  scope?: string;
  @ApiPropertyOptional({
    description: 'the client (or in the Basic header); none: the implicit public client',
  })
  client_id?: string;
  @ApiPropertyOptional({ format: 'password', description: 'a confidential client may send it here (§2.3.1)' })
  client_secret?: string;
}

export class TokenResponseDto {
  @ApiProperty() access_token!: string;
  @ApiProperty({ example: 'Bearer' }) token_type!: string;
  @ApiProperty({ description: 'seconds' }) expires_in!: number;
  @ApiProperty() refresh_token!: string;
  @ApiProperty({ description: 'seconds (not in RFC 6749: when the refresh token expires)' })
  refresh_expires_in!: number;
  @ApiProperty({ description: 'the roles, space-separated' }) scope!: string;
}

export class OAuthErrorDto {
  @ApiProperty({
    enum: [
      'invalid_request',
      'invalid_client',
      'invalid_grant',
      'unauthorized_client',
      'unsupported_grant_type',
      'invalid_scope',
      'access_denied',
      'temporarily_unavailable',
      'server_error',
    ],
  })
  error!: string;
  @ApiPropertyOptional() error_description?: string;
  @ApiPropertyOptional() error_uri?: string;
  @ApiPropertyOptional({ description: 'the X-Request-Id of the request' }) request_id?: string;
}

export class RevocationRequestDto {
  @ApiPropertyOptional({
    description:
      'RFC 7009: the access or refresh token to revoke; with a bearer header: a refresh token of yours',
  })
  token?: string;
  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  token_type_hint?: string;
  @ApiPropertyOptional() client_id?: string;
  @ApiPropertyOptional({ format: 'password' }) client_secret?: string;
}

export class IntrospectionRequestDto {
  @ApiProperty() token!: string;
  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  token_type_hint?: string;
  @ApiPropertyOptional() client_id?: string;
  @ApiPropertyOptional({ format: 'password' }) client_secret?: string;
}

export class IntrospectionResponseDto {
  @ApiProperty() active!: boolean;
  @ApiPropertyOptional({ description: 'the user id' }) sub?: string;
  @ApiPropertyOptional() exp?: number;
  @ApiPropertyOptional() iat?: number;
  @ApiPropertyOptional({ description: 'the roles, space-separated' }) scope?: string;
  @ApiPropertyOptional({ type: [String] }) roles?: string[];
  @ApiPropertyOptional({ enum: ['Bearer', 'refresh_token'] }) token_type?: string;
  @ApiPropertyOptional() client_id?: string;
  @ApiPropertyOptional() username?: string;
  @ApiPropertyOptional() iss?: string;
  @ApiPropertyOptional() aud?: string;
  @ApiPropertyOptional() jti?: string;
  @ApiPropertyOptional({ description: 'the session (refresh family)' }) sid?: string;
}
