import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { LOG_LEVELS, type LogLevel } from './log-level.state';

/** At most a week: a temporary level is meant for an investigation, not a new default. */
export const MAX_LOG_LEVEL_TTL_SECONDS = 7 * 86_400;

export class SetLogLevelDto {
  @ApiProperty({ enum: LOG_LEVELS, example: 'debug' })
  @IsIn(LOG_LEVELS)
  level!: LogLevel;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_LOG_LEVEL_TTL_SECONDS,
    description: 'seconds, then back to LOG_LEVEL; absent: until changed again or the process restarts',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_LOG_LEVEL_TTL_SECONDS)
  ttlSeconds?: number;
}

/** GET <prefix>/log-level's answer. */
export class LogLevelViewDoc {
  @ApiProperty({ example: 'audit-writer', description: 'the service' })
  service!: string;

  @ApiProperty({ enum: LOG_LEVELS, description: 'the level in force on this instance' })
  level!: LogLevel;

  @ApiProperty({ enum: LOG_LEVELS, description: 'LOG_LEVEL at start: what a temporary level reverts to' })
  configured!: LogLevel;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'when a temporary level reverts',
  })
  revertsAt!: string | null;
}

/** PUT <prefix>/log-level's answer: the new view and the level before. */
export class LogLevelChangeDoc extends LogLevelViewDoc {
  @ApiProperty({ enum: LOG_LEVELS })
  before!: LogLevel;
}
