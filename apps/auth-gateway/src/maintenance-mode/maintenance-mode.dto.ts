import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class SetMaintenanceModeDto {
  @ApiProperty({ description: 'true: logins, token grants, refreshes and password changes answer 503' })
  @IsBoolean()
  enabled!: boolean;

  @ApiPropertyOptional({
    maxLength: 200,
    example: 'database failover, INC-9',
    description: 'shown to clients in the 503 and kept in the audit event',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/^[^\u0000-\u001f\u007f]+$/u, { message: 'reason must not contain control characters' }) // eslint-disable-line no-control-regex
  reason?: string;
}
