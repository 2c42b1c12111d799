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
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
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
} from './dto/admin.dto';

const uuid = new ParseUUIDPipe({ version: undefined });

/** Administration of users (admin role only; every change audited with the admin as actor). */
@ApiTags('admin')
@ApiBearerAuth()
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
  create(@Body() dto: CreateUserDto, @Principal() who: VerifiedToken, @Req() req: Request) {
    return this.admin.create(dto, this.ctx(who, req));
  }

  @Get()
  @ApiOperation({
    summary:
      'List users (?admin=true: administrators only, seed 001-58; ?login=<username or e-mail>: that user, or none)',
  })
  list(@Query() q: ListUsersQuery) {
    if (q.login !== undefined) return this.admin.findByLogin(q.login);
    return this.admin.list(q.admin === 'true', Math.min(500, Number(q.limit ?? 100)));
  }

  @Get(':id')
  get(@Param('id', uuid) id: string) {
    return this.admin.get(id);
  }

  @Put(':id/roles')
  @ApiOperation({ summary: 'Replace the roles (ROLE_CHANGED with before and after)' })
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
  deactivate(@Param('id', uuid) id: string, @Principal() who: VerifiedToken, @Req() req: Request) {
    return this.admin.setActive(id, false, this.ctx(who, req));
  }

  @Post(':id/reactivate')
  @HttpCode(200)
  reactivate(@Param('id', uuid) id: string, @Principal() who: VerifiedToken, @Req() req: Request) {
    return this.admin.setActive(id, true, this.ctx(who, req));
  }

  @Post(':id/lock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lock for ttlSeconds, or until unlocked (ACCOUNT_LOCKED with the reason)' })
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
  unlock(@Param('id', uuid) id: string, @Principal() who: VerifiedToken, @Req() req: Request) {
    return this.admin.unlock(id, this.ctx(who, req));
  }

  @Post(':id/password')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Set a new password: unlocks and ends every session (PASSWORD_CHANGED); requireChange: a temporary one the user must replace before logging in',
  })
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
  requirePasswordReset(
    @Param('id', uuid) id: string,
    @Body() dto: RequirePasswordResetDto,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
  ) {
    return this.admin.requirePasswordReset(id, { ...this.ctx(who, req), note: dto.reason });
  }

  @Get(':id/sessions')
  sessions(@Param('id', uuid) id: string) {
    return this.admin.listSessions(id);
  }

  @Delete(':id/sessions')
  @ApiOperation({ summary: 'Revoke every session of the user (seed 002-31 force logout)' })
  revokeAll(@Param('id', uuid) id: string, @Principal() who: VerifiedToken, @Req() req: Request) {
    return this.admin.revokeSessions(id, undefined, this.ctx(who, req));
  }

  @Delete(':id/sessions/:sessionId')
  revokeOne(
    @Param('id', uuid) id: string,
    @Param('sessionId', uuid) sessionId: string,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
  ) {
    return this.admin.revokeSessions(id, sessionId, this.ctx(who, req));
  }
}
