import { Body, Controller, Get, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { ApiProblems, ApiRoles } from '@vigil/runtime';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { metaOf } from '../http/request-meta';
import {
  KEY_ROTATION_EXAMPLE,
  KeyRotationDoc,
  RotateKeyDto,
  SIGNING_KEYS_EXAMPLE,
  SigningKeysDoc,
} from './keys-admin.dto';
import { KeysAdminService } from './keys-admin.service';

/** `/api/v1/admin/keys` (admin role): the access-token signing keys, never a private member. */
@ApiTags('admin')
@ApiRoles('admin')
@ApiProblems(500)
@Roles('admin')
@UseFilters(GatewayProblemFilter)
@Controller('api/v1/admin/keys')
export class KeysAdminController {
  constructor(private readonly keys: KeysAdminService) {}

  @Get()
  @ApiOperation({
    summary:
      'Signing keys with their state (signing, pending, retiring, expired), creation time and age in days (seed 000-54), and the next scheduled rotation',
  })
  @ApiOkResponse({ type: SigningKeysDoc, example: SIGNING_KEYS_EXAMPLE })
  list(): Promise<SigningKeysDoc> {
    return this.keys.list();
  }

  @Post('rotate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Seed 000-42: a new signing key, published now and signing after the pre-publication delay (or at once: immediate) (SIGNING_KEY_ROTATED); earlier keys verify until their tokens expire, or are withdrawn now with retirePrevious',
  })
  @ApiBody({
    type: RotateKeyDto,
    examples: {
      scheduled: { value: { reason: 'quarterly rotation' } },
      exposure: { value: { reason: 'key material exposed, INC-12', retirePrevious: true } },
    },
  })
  @ApiOkResponse({ type: KeyRotationDoc, example: KEY_ROTATION_EXAMPLE })
  @ApiProblems(
    { status: 400, errors: ['reason should not be empty'] },
    { status: 409, detail: 'another instance is rotating the signing keys right now; list them and retry' },
  )
  rotate(
    @Body() dto: RotateKeyDto,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
  ): Promise<KeyRotationDoc> {
    return this.keys.rotate(
      { reason: dto.reason, immediate: dto.immediate === true, retirePrevious: dto.retirePrevious === true },
      { userId: who.sub, roles: who.roles },
      metaOf(req),
    );
  }
}
