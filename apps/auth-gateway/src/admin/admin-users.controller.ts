import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
  Req,
  UseFilters,
} from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { ApiProblems, ApiRoles, type ProblemResponseOptions } from '@vigil/runtime';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { metaOf } from '../http/request-meta';
import { AdminUsersService } from './admin-users.service';
import {
  CreateUserDto,
  ListUsersQuery,
  LockUserDto,
  RequirePasswordResetDto,
  ResetPasswordDto,
  SetRolesDto,
  USER_EXAMPLE,
  UserDoc,
} from './dto/admin.dto';
import { RevokedSessionsDoc, SESSION_EXAMPLE, SessionDoc } from '../sessions/dto/sessions.dto';

const uuid = new ParseUUIDPipe({ version: undefined });

const USER_ID = ApiParam({
  name: 'id',
  schema: { type: 'string', format: 'uuid' },
  example: USER_EXAMPLE.id,
  description: 'the user id',
});
const NOT_A_UUID: ProblemResponseOptions = {
  status: 400,
  detail: 'Validation failed (uuid is expected)',
  description: 'The id is not a UUID, or the body failed validation',
};
const NO_SUCH_USER: ProblemResponseOptions = {
  status: 404,
  detail: 'no such user',
  description: 'No such user',
};
const ONE_USER = { type: UserDoc, example: USER_EXAMPLE, description: 'the user after the change' };

/** Administration of users (admin role only; every change audited with the admin as actor). */
@ApiTags('admin')
@ApiRoles('admin')
@ApiProblems(500)
@Roles('admin')
@UseFilters(GatewayProblemFilter)
@Controller('api/v1/admin/users')
export class AdminUsersController {
  constructor(private readonly admin: AdminUsersService) {}

  private ctx(who: VerifiedToken, req: Request) {
    return { actor: { userId: who.sub, roles: who.roles }, meta: metaOf(req) };
  }

  @Post()
  @ApiOperation({
    summary: 'Create a user (password checked against the policy and the common-password list)',
  })
  @ApiBody({
    type: CreateUserDto,
    examples: {
      auditor: {
        value: {
          username: 'alice',
          email: 'alice@example.com',
          password: 'a long passphrase of her own',
          roles: ['auditor'],
        },
      },
    },
  })
  @ApiCreatedResponse({ type: UserDoc, example: USER_EXAMPLE, description: 'the new user (USER_CREATED)' })
  @ApiProblems(
    {
      status: 400,
      detail: 'password rejected: too short (at least 12 characters)',
      description: 'A malformed body, or a password the policy refuses',
    },
    { status: 409, detail: 'a user with this username or e-mail exists' },
  )
  create(@Body() dto: CreateUserDto, @Principal() who: VerifiedToken, @Req() req: Request): Promise<UserDoc> {
    return this.admin.create(dto, this.ctx(who, req));
  }

  @Get()
  @ApiOperation({
    summary:
      'List users (?admin=true: administrators only, seed 001-58; ?login=<username or e-mail>: that user, or none)',
  })
  @ApiOkResponse({ type: [UserDoc], example: [USER_EXAMPLE], description: 'at most limit users (500)' })
  @ApiProblems({ status: 400, errors: ['admin must be one of the following values: true, false'] })
  list(@Query() q: ListUsersQuery) {
    if (q.login !== undefined) return this.admin.findByLogin(q.login);
    return this.admin.list(q.admin === 'true', Math.min(500, Number(q.limit ?? 100)));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user' })
  @USER_ID
  @ApiOkResponse({ type: UserDoc, example: USER_EXAMPLE })
  @ApiProblems(NOT_A_UUID, NO_SUCH_USER)
  get(@Param('id', uuid) id: string) {
    return this.admin.get(id);
  }

  @Put(':id/roles')
  @ApiOperation({ summary: 'Replace the roles (ROLE_CHANGED with before and after)' })
  @USER_ID
  @ApiBody({ type: SetRolesDto, examples: { auditor: { value: { roles: ['auditor', 'user'] } } } })
  @ApiOkResponse(ONE_USER)
  @ApiProblems(NOT_A_UUID, NO_SUCH_USER, {
    status: 409,
    detail: 'administrators cannot remove their own admin role',
  })
  setRoles(
    @Param('id', uuid) id: string,
    @Body() dto: SetRolesDto,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
  ) {
    return this.admin.setRoles(id, dto.roles, this.ctx(who, req));
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deactivate: logins refused, every session and refresh family revoked' })
  @USER_ID
  @ApiOkResponse({ ...ONE_USER, example: { ...USER_EXAMPLE, isActive: false } })
  @ApiProblems(NOT_A_UUID, NO_SUCH_USER, {
    status: 409,
    detail: 'administrators cannot deactivate themselves',
  })
  deactivate(@Param('id', uuid) id: string, @Principal() who: VerifiedToken, @Req() req: Request) {
    return this.admin.setActive(id, false, this.ctx(who, req));
  }

  @Post(':id/reactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reactivate a deactivated user (USER_REACTIVATED); logins work again' })
  @USER_ID
  @ApiOkResponse(ONE_USER)
  @ApiProblems(NOT_A_UUID, NO_SUCH_USER)
  reactivate(@Param('id', uuid) id: string, @Principal() who: VerifiedToken, @Req() req: Request) {
    return this.admin.setActive(id, true, this.ctx(who, req));
  }

  @Post(':id/lock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lock for ttlSeconds, or until unlocked (ACCOUNT_LOCKED with the reason)' })
  @USER_ID
  @ApiBody({
    type: LockUserDto,
    examples: { anHour: { value: { ttlSeconds: 3600, reason: 'suspicious activity, SEC-42' } } },
  })
  @ApiOkResponse({
    ...ONE_USER,
    example: { ...USER_EXAMPLE, lockedUntil: '2026-12-02T10:00:00.000Z', lockReason: 'admin' },
  })
  @ApiProblems(NOT_A_UUID, NO_SUCH_USER, { status: 409, detail: 'administrators cannot lock themselves' })
  lock(
    @Param('id', uuid) id: string,
    @Body() dto: LockUserDto,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
  ) {
    return this.admin.lock(id, dto.ttlSeconds, { ...this.ctx(who, req), note: dto.reason });
  }

  @Post(':id/unlock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lift admin/security locks and failed-login lockouts' })
  @USER_ID
  @ApiOkResponse(ONE_USER)
  @ApiProblems(NOT_A_UUID, NO_SUCH_USER)
  unlock(@Param('id', uuid) id: string, @Principal() who: VerifiedToken, @Req() req: Request) {
    return this.admin.unlock(id, this.ctx(who, req));
  }

  @Post(':id/password')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Set a new password: unlocks and ends every session (PASSWORD_CHANGED); requireChange: a temporary one the user must replace before logging in',
  })
  @USER_ID
  @ApiBody({
    type: ResetPasswordDto,
    examples: { temporary: { value: { password: 'a temporary passphrase 7', requireChange: true } } },
  })
  @ApiOkResponse({ ...ONE_USER, example: { ...USER_EXAMPLE, mustResetPassword: true } })
  @ApiProblems(
    {
      ...NOT_A_UUID,
      description: 'The id is not a UUID, the body failed validation, or the policy refuses the password',
    },
    NO_SUCH_USER,
  )
  resetPassword(
    @Param('id', uuid) id: string,
    @Body() dto: ResetPasswordDto,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
  ) {
    return this.admin.resetPassword(id, dto.password, dto.requireChange === true, this.ctx(who, req));
  }

  @Post(':id/require-password-reset')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Seed 000-44: force a password reset. Every session ends; a login with the current password gets 403 password-change-required until the user sets a new one (POST /api/v1/auth/password) or an admin does (PASSWORD_RESET_REQUIRED)',
  })
  @USER_ID
  @ApiBody({
    type: RequirePasswordResetDto,
    required: false,
    examples: { leak: { value: { reason: 'password seen in a paste, SEC-51' } } },
  })
  @ApiOkResponse({ ...ONE_USER, example: { ...USER_EXAMPLE, mustResetPassword: true } })
  @ApiProblems(NOT_A_UUID, NO_SUCH_USER, {
    status: 409,
    detail: 'administrators cannot force their own reset: change your password instead',
  })
  requirePasswordReset(
    @Param('id', uuid) id: string,
    @Body() dto: RequirePasswordResetDto,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
  ) {
    return this.admin.requirePasswordReset(id, { ...this.ctx(who, req), note: dto.reason });
  }

  @Get(':id/sessions')
  @ApiOperation({ summary: "The user's sessions (refresh families), live and recently ended" })
  @USER_ID
  @ApiOkResponse({ type: [SessionDoc], example: [SESSION_EXAMPLE] })
  @ApiProblems(NOT_A_UUID, NO_SUCH_USER)
  sessions(@Param('id', uuid) id: string) {
    return this.admin.listSessions(id);
  }

  @Delete(':id/sessions')
  @ApiOperation({ summary: 'Revoke every session of the user (seed 002-31 force logout)' })
  @USER_ID
  @ApiOkResponse({
    type: RevokedSessionsDoc,
    example: { revoked: 2 },
    description: 'how many live sessions ended (TOKEN_REVOKED)',
  })
  @ApiProblems(NOT_A_UUID, NO_SUCH_USER)
  revokeAll(@Param('id', uuid) id: string, @Principal() who: VerifiedToken, @Req() req: Request) {
    return this.admin.revokeSessions(id, undefined, this.ctx(who, req));
  }

  @Delete(':id/sessions/:sessionId')
  @ApiOperation({ summary: 'Revoke one session of the user and its refresh family (TOKEN_REVOKED)' })
  @USER_ID
  @ApiParam({
    name: 'sessionId',
    schema: { type: 'string', format: 'uuid' },
    example: SESSION_EXAMPLE.id,
  })
  @ApiOkResponse({ type: RevokedSessionsDoc, example: { revoked: 1 } })
  @ApiProblems(NOT_A_UUID, {
    status: 404,
    detail: 'no live session with this id for this user',
    description: 'No such user, or no live session with this id for this user',
  })
  revokeOne(
    @Param('id', uuid) id: string,
    @Param('sessionId', uuid) sessionId: string,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
  ) {
    return this.admin.revokeSessions(id, sessionId, this.ctx(who, req));
  }
}
