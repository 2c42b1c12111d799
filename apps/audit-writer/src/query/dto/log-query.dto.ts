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
  @IsOptional()
  @IsUUID()
  user_id?: string;

  @IsOptional()
  @MaxLength(64)
  @Matches(/^[A-Z][A-Z0-9_]*%?$/, {
    message: 'action must be an action name (a trailing % matches a prefix)',
  })
  action?: string;

  @IsOptional()
  @IsIP()
  ip?: string;

  /** Rows whose actor held this role (seed 001-18: admin access patterns). */
  @IsOptional()
  @MaxLength(64)
  @Matches(/^[a-z][a-z0-9_-]*$/, { message: 'actor_role must be a role name' })
  actor_role?: string;

  @IsOptional()
  @IsIn(['success', 'failure', 'denied', 'error'])
  outcome?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  /** Rows per page (json, at most 1000) or in all (csv/jsonl exports, at most 100000). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  limit?: number;

  /** Opaque keyset cursor from the previous page's `nextCursor`. */
  @IsOptional()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/)
  cursor?: string;

  @IsOptional()
  @IsIn(['json', 'csv', 'jsonl'])
  format?: 'json' | 'csv' | 'jsonl';

  /** `restored`: search archives the retention worker restored (never mixed into audit_logs). */
  @IsOptional()
  @IsIn(['hot', 'restored'])
  source?: 'hot' | 'restored';
}

export class StatsQueryDto {
  @IsOptional()
  @IsIn(['hour', 'day'])
  bucket?: 'hour' | 'day';

  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @IsOptional()
  @MaxLength(64)
  @Matches(/^[A-Z][A-Z0-9_]*$/)
  action?: string;
}

export class SecurityQueryDto {
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** GET /api/v1/audit/checkpoints: the signed chain heads that cover a time range (evidence, seed 000-40). */
export class CheckpointQueryDto {
  @IsISO8601({ strict: true })
  from!: string;

  @IsISO8601({ strict: true })
  to!: string;

  @IsOptional()
  @MaxLength(200)
  @Matches(/^[a-zA-Z0-9._-]+:\d+$/, { message: 'chain must be <topic>:<partition>' })
  chain?: string;
}
