import { Body, Controller, Get, Header, HttpCode, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Authenticated, Principal, type VerifiedToken } from '@vigil/auth';
import { currentUserOf } from '../accounts/session-revocation.check';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { metaOf, routeTemplateOf } from '../http/request-meta';
import { MaintenanceModeGuard } from '../maintenance-mode/maintenance-mode.guard';
import { SessionsService } from '../sessions/sessions.service';
import type { TokenResponse } from '../sessions/token-response';
import { TokenResponseDto } from '../oauth/dto/oauth.dto';
import { ChangePasswordDto, LoginDto, LogoutDto, RefreshDto } from './dto/login.dto';
import { LoginService } from './login.service';

@ApiTags('auth')
@UseFilters(GatewayProblemFilter)
@Controller()
export class AuthController {
  constructor(
    private readonly logins: LoginService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('api/v1/auth/login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Log in with a username (or e-mail) and password' })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiResponse({
    status: 403,
    description: 'password-change-required: an admin required a new password (seed 000-44)',
  })
  @UseGuards(MaintenanceModeGuard)
  @ApiResponse({ status: 503, description: 'maintenance mode (Retry-After)' })
  login(@Body() dto: LoginDto, @Req() req: Request): Promise<TokenResponse> {
    return this.logins.login(dto.username, dto.password, metaOf(req), routeTemplateOf(req));
  }

  @Post('api/v1/auth/refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Rotate a refresh token: a new pair; the old token must not be used again' })
  @ApiOkResponse({ type: TokenResponseDto })
  @UseGuards(MaintenanceModeGuard)
  @ApiResponse({ status: 503, description: 'maintenance mode (Retry-After)' })
  refresh(@Body() dto: RefreshDto, @Req() req: Request): Promise<TokenResponse> {
    return this.sessions.refresh(dto.refreshToken, metaOf(req));
  }

  @Post('api/v1/auth/password')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'Change your password by proving the current one (the way out of a forced reset, seed 000-44): throttled like a login; every session ends and the answer is a new login (PASSWORD_CHANGED)',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @UseGuards(MaintenanceModeGuard)
  @ApiResponse({ status: 503, description: 'maintenance mode (Retry-After)' })
  changePassword(@Body() dto: ChangePasswordDto, @Req() req: Request): Promise<TokenResponse> {
    return this.logins.changePassword(
      dto.username,
      dto.currentPassword,
      dto.newPassword,
      metaOf(req),
      routeTemplateOf(req),
    );
  }

  @Post('api/v1/auth/logout')
  @HttpCode(204)
  @Authenticated()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session (or all of them)' })
  async logout(@Principal() who: VerifiedToken, @Body() dto: LogoutDto, @Req() req: Request): Promise<void> {
    await this.sessions.logout(who.sub, who.sid, dto.allSessions === true, metaOf(req));
  }

  @Get(['api/v1/auth/me', 'api/auth/me'])
  @Authenticated()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller (also at /api/auth/me, seed 004)' })
  me(@Principal() who: VerifiedToken, @Req() req: Request) {
    const user = currentUserOf(req)!;
    return {
      id: user.id,
      username: user.username,
      email: user.email,
      roles: user.roles,
      isAdmin: user.is_admin,
      sessionId: who.sid,
      tokenExpiresAt: new Date(who.exp * 1000).toISOString(),
    };
  }
}
