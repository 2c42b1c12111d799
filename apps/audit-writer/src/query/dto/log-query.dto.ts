import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsIP,
  IsISO8601,
  IsOptional,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;

/** Filters of GET /api/v1/audit/logs (seed 001-03). Unknown parameters are refused (400). */
export class LogQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'rows about this user' })
  @IsOptional()
  @IsUUID()
  user_id?: string;

  @ApiPropertyOptional({
    maxLength: 64,
    pattern: '^[A-Z][A-Z0-9_]*%?$',
    description: 'an action name; a trailing % matches a prefix (SECURITY_%)',
    example: 'FAILED_AUTH_LOGIN',
  })
  @IsOptional()
  @MaxLength(64)
  @Matches(/^[A-Z][A-Z0-9_]*%?$/, {
    message: 'action must be an action name (a trailing % matches a prefix)',
  })
  action?: string;

  @ApiPropertyOptional({ description: 'client IP address (v4 or v6)', example: '198.51.100.7' })
  @IsOptional()
  @IsIP()
  ip?: string;

  /** Rows whose actor held this role (seed 001-18: admin access patterns). */
  @ApiPropertyOptional({ maxLength: 64, pattern: '^[a-z][a-z0-9_-]*$', example: 'admin' })
  @IsOptional()
  @MaxLength(64)
  @Matches(/^[a-z][a-z0-9_-]*$/, { message: 'actor_role must be a role name' })
  actor_role?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure', 'denied', 'error'] })
  @IsOptional()
  @IsIn(['success', 'failure', 'denied', 'error'])
  outcome?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'from this time (inclusive)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'before this time (exclusive)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  /** Rows per page (json, at most 1000) or in all (csv/jsonl exports, at most 100000). */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 100000,
    description: 'json: rows per page (default 100, at most 1000); csv/jsonl: rows in all (default 10000)',
    example: 100,
  })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  limit?: number;

  /** Opaque keyset cursor from the previous page's `nextCursor`. */
  @ApiPropertyOptional({ maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })
  @IsOptional()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/)
  cursor?: string;

  @ApiPropertyOptional({
    enum: ['json', 'csv', 'jsonl'],
    description: 'json pages (default), or a streamed csv / jsonl export',
  })
  @IsOptional()
  @IsIn(['json', 'csv', 'jsonl'])
  format?: 'json' | 'csv' | 'jsonl';

  /** `restored`: search archives the retention worker restored (never mixed into audit_logs). */
  @ApiPropertyOptional({ enum: ['hot', 'restored'], description: 'hot (default): audit_logs' })
  @IsOptional()
  @IsIn(['hot', 'restored'])
  source?: 'hot' | 'restored';
}

export class StatsQueryDto {
  @ApiPropertyOptional({ enum: ['hour', 'day'], description: 'hour (default)' })
  @IsOptional()
  @IsIn(['hour', 'day'])
  bucket?: 'hour' | 'day';

  @ApiPropertyOptional({ format: 'date-time', description: 'default: 24 hours (hour) or 30 days (day) ago' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ maxLength: 64, pattern: '^[A-Z][A-Z0-9_]*$', example: 'AUTH_LOGIN' })
  @IsOptional()
  @MaxLength(64)
  @Matches(/^[A-Z][A-Z0-9_]*$/)
  action?: string;
}

export class SecurityQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'default: 24 hours ago' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, description: 'alerts (default 100)' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** GET /api/v1/audit/checkpoints: the signed chain heads that cover a time range (evidence, seed 000-40). */
export class CheckpointQueryDto {
  @ApiProperty({ format: 'date-time', example: '2026-12-01T00:00:00Z' })
  @IsISO8601({ strict: true })
  from!: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-02T00:00:00Z' })
  @IsISO8601({ strict: true })
  to!: string;

  @ApiPropertyOptional({ maxLength: 200, pattern: '^[a-zA-Z0-9._-]+:\\d+$', example: 'auth.events.v1:0' })
  @IsOptional()
  @MaxLength(200)
  @Matches(/^[a-zA-Z0-9._-]+:\d+$/, { message: 'chain must be <topic>:<partition>' })
  chain?: string;
}
