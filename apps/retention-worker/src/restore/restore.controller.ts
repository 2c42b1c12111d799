import { BadRequestException, Body, Controller, HttpCode, NotFoundException, Post } from '@nestjs/common';
import { IsOptional, Matches } from 'class-validator';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { RestoreRefused, RestoreService, type RestoreResult } from './restore.service';

export class RestoreDto {
  @IsOptional()
  @Matches(/^[0-9]{8}-[a-z0-9-]{1,41}-[0-9a-f]{8}$/, { message: 'archive_id is not an archive id' })
  archive_id?: string;

  /** One day (YYYY-MM-DD): every archive of that day (seed 001-53's partial recovery). */
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'day must be YYYY-MM-DD' })
  day?: string;
}

/** POST /api/v1/retention/restore (admin): verified archives back into the restore schema for search. */
@Controller('api/v1/retention/restore')
@Roles('admin')
export class RestoreController {
  constructor(private readonly restores: RestoreService) {}

  @Post()
  @HttpCode(200)
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
