import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { MaintenanceView } from './maintenance-mode.service';

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

/** GET /api/v1/admin/maintenance. */
export class MaintenanceModeDoc implements MaintenanceView {
  @ApiProperty({ example: false })
  enabled!: boolean;

  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;

  @ApiProperty({ format: 'date-time', description: 'the last change' })
  since!: string;

  @ApiProperty({ type: String, nullable: true, description: 'the admin (user id) who changed it last' })
  changedBy!: string | null;
}

/** PUT /api/v1/admin/maintenance: the state now, and whether it changed. */
export class MaintenanceModeChangeDoc extends MaintenanceModeDoc {
  @ApiProperty({ description: 'false when it was already on (or off)' })
  changed!: boolean;
}

export const MAINTENANCE_OFF_EXAMPLE: MaintenanceModeDoc = {
  enabled: false,
  reason: null,
  since: '2026-12-01T09:00:00.000Z',
  changedBy: null,
};

export const MAINTENANCE_ON_EXAMPLE: MaintenanceModeChangeDoc = {
  enabled: true,
  reason: 'database failover, INC-9',
  since: '2026-12-02T09:00:00.000Z',
  changedBy: '0193a6c2-0000-7000-8000-000000000001',
  changed: true,
};
