import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class RotateKeyDto {
  @ApiProperty({
    maxLength: 200,
    example: 'key material exposed, INC-12',
    description: 'why (kept in the audit event)',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/^[^\u0000-\u001f\u007f]+$/u, { message: 'reason must not contain control characters' }) // eslint-disable-line no-control-regex
  reason!: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'sign with the new key at once instead of after SIGNING_KEY_PREPUBLISH_SECONDS; verifiers that fetched the JWKS within their refresh cooldown (30 s) refuse tokens signed with it until they refetch',
  })
  @IsOptional()
  @IsBoolean()
  immediate?: boolean;

  @ApiPropertyOptional({
    default: false,
    description:
      'implies immediate. Withdraw every other key from the JWKS now: access tokens they signed stop verifying (clients refresh); without it they stay valid until they expire',
  })
  @IsOptional()
  @IsBoolean()
  retirePrevious?: boolean;
}
