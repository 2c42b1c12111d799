import { BadRequestException, Body, Controller, HttpCode, NotFoundException, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { ApiProblems, ApiRoles } from '@vigil/runtime';
import { RestoreRefused, RestoreService, type RestoreResult } from './restore.service';

export class RestoreDto {
  @ApiPropertyOptional({
    pattern: '^[0-9]{8}-[a-z0-9-]{1,41}-[0-9a-f]{8}$',
    description: 'one archive (exactly one of archive_id or day)',
    example: '20260901-default-3f2a1b0c',
  })
  @IsOptional()
  @Matches(/^[0-9]{8}-[a-z0-9-]{1,41}-[0-9a-f]{8}$/, { message: 'archive_id is not an archive id' })
  archive_id?: string;

  /** One day (YYYY-MM-DD): every archive of that day (seed 001-53's partial recovery). */
  @ApiPropertyOptional({
    format: 'date',
    description: "every archive of that day (seed 001-53's partial recovery)",
  })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'day must be YYYY-MM-DD' })
  day?: string;
}

class RestoredArchiveDoc {
  @ApiProperty({ example: '20260901-default-3f2a1b0c' })
  archiveId!: string;

  @ApiProperty({ example: 'audit_logs_20260901' })
  partition!: string;

  @ApiProperty({ example: 20 })
  rows!: number;
}

class RestoreResultDoc {
  @ApiProperty({ example: 'rst-20261202T090000Z-5d4c3b' })
  restoreId!: string;

  @ApiProperty({ description: 'where the rows are: search them with GET /api/v1/audit/logs?source=restored' })
  table!: string;

  @ApiProperty({ type: [RestoredArchiveDoc] })
  archives!: RestoredArchiveDoc[];

  @ApiProperty({ example: 20 })
  rows!: number;
}

/** POST /api/v1/retention/restore (admin): verified archives back into the restore schema for search. */
@ApiTags('restore')
@ApiRoles('admin')
@ApiProblems(500)
@Controller('api/v1/retention/restore')
@Roles('admin')
export class RestoreController {
  constructor(private readonly restores: RestoreService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Restore verified archives (one, or every one of a day) into the restore schema for search; nothing unverified is ever visible',
  })
  @ApiBody({
    type: RestoreDto,
    examples: {
      archive: { summary: 'one archive', value: { archive_id: '20260901-default-3f2a1b0c' } },
      day: {
        summary: "every archive of a day (seed 001-53's partial recovery)",
        value: { day: '2026-09-01' },
      },
    },
  })
  @ApiOkResponse({
    type: RestoreResultDoc,
    example: {
      restoreId: 'rst-20261202T090000Z-5d4c3b',
      table: 'restore.audit_logs_restored',
      archives: [{ archiveId: '20260901-default-3f2a1b0c', partition: 'audit_logs_20260901', rows: 20 }],
      rows: 20,
    },
  })
  @ApiProblems(
    { status: 400, detail: 'name exactly one of archive_id or day' },
    { status: 404, detail: 'no verified archive 20260901-default-3f2a1b0c' },
  )
  async restore(@Body() body: RestoreDto, @Principal() who: VerifiedToken): Promise<RestoreResult> {
    if (!body.archive_id === !body.day)
      throw new BadRequestException('name exactly one of archive_id or day');
    try {
      return await this.restores.restore(
        { archiveId: body.archive_id, day: body.day },
        { userId: who.sub, roles: who.roles },
      );
    } catch (err) {
      if (err instanceof RestoreRefused) {
        if (/^no verified archive/.test(err.message)) throw new NotFoundException(err.message);
        throw new BadRequestException(err.message);
      }
      throw err;
    }
  }
}
