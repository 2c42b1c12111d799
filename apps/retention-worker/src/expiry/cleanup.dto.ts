import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/** Body of POST /api/v1/audit/cleanup (seed 001-24: `{"retention_days": 90}`). */
export class CleanupDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 36500,
    description: "the hot window for this run (default: the policy's); never shorter than the policy's",
    example: 90,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(36_500)
  retention_days?: number;

  /** Report what would move (partitions, rows, bytes) and change nothing. */
  @ApiPropertyOptional({ description: 'report what would move and change nothing', default: false })
  @IsOptional()
  @IsBoolean()
  dry_run?: boolean;
}
