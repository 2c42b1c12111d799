import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/** Body of POST /api/v1/audit/cleanup (seed 001-24: `{"retention_days": 90}`). */
export class CleanupDto {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(36_500)
  retention_days?: number;

  /** Report what would move (partitions, rows, bytes) and change nothing. */
  @IsOptional()
  @IsBoolean()
  dry_run?: boolean;
}
