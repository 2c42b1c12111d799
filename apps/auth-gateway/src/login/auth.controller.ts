import { Body, Controller, Get, Header, HttpCode, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { Authenticated, Principal, type VerifiedToken } from '@vigil/auth';
import { ApiProblems } from '@vigil/runtime';
import { currentUserOf } from '../accounts/session-revocation.check';
import { GatewayProblemFilter } from '../http/gateway-problem.filter';
import { metaOf, routeTemplateOf } from '../http/request-meta';
import { MaintenanceModeGuard } from '../maintenance-mode/maintenance-mode.guard';
import { SessionsService } from '../sessions/sessions.service';
import type { TokenResponse } from '../sessions/token-response';
import { TOKEN_RESPONSE_EXAMPLE, TokenResponseDto } from '../oauth/dto/oauth.dto';
import { ChangePasswordDto, LoginDto, LogoutDto, ME_EXAMPLE, MeDoc, RefreshDto } from './dto/login.dto';
import {
  IP_BLOCKED_PROBLEM,
  MAINTENANCE_PROBLEM,
  PASSWORD_CHANGE_REQUIRED_PROBLEM,
  THROTTLED_PROBLEM,
} from '../http/problems.openapi';

const TOKENS = {
  type: TokenResponseDto,
  example: TOKEN_RESPONSE_EXAMPLE,
  description: 'RFC 6749 §5.1 token response; Cache-Control: no-store',
};
const INVALID_CREDENTIALS = {
  status: 401,
  slug: 'invalid-credentials',
  detail: 'invalid username or password',
  description:
    'Unknown user, wrong password, locked or deactivated account: one answer for all (FAILED_AUTH_LOGIN)',
};
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
  @ApiOkResponse(TOKENS)
  @ApiProblems(
    { status: 400, errors: ['username should not be empty'] },
    INVALID_CREDENTIALS,
    {
      ...PASSWORD_CHANGE_REQUIRED_PROBLEM,
      description: `${PASSWORD_CHANGE_REQUIRED_PROBLEM.description}; or a blocked address (ip-blocked)`,
    },
    THROTTLED_PROBLEM,
    500,
    MAINTENANCE_PROBLEM,
  )
  @UseGuards(MaintenanceModeGuard)
  login(@Body() dto: LoginDto, @Req() req: Request): Promise<TokenResponse> {
    return this.logins.login(dto.username, dto.password, metaOf(req), routeTemplateOf(req));
  }

  @Post('api/v1/auth/refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Rotate a refresh token: a new pair; the old token must not be used again' })
  @ApiOkResponse(TOKENS)
  @ApiProblems(
    { status: 400, errors: ['refreshToken should not be empty'] },
    {
      status: 401,
      slug: 'invalid-grant',
      detail: 'the refresh token is invalid or expired',
      description:
        'Unknown, expired, revoked or replayed refresh token, or one issued to an OAuth client (a replayed rotated token revokes its family: TOKEN_REFRESH_REUSE)',
    },
    IP_BLOCKED_PROBLEM,
    THROTTLED_PROBLEM,
    500,
    MAINTENANCE_PROBLEM,
  )
  @UseGuards(MaintenanceModeGuard)
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
  @ApiOkResponse(TOKENS)
  @ApiProblems(
    {
      status: 400,
      detail: 'the new password is too short (at least 12 characters)',
      description: 'A malformed body, or a new password the policy refuses',
    },
    INVALID_CREDENTIALS,
    IP_BLOCKED_PROBLEM,
    THROTTLED_PROBLEM,
    500,
    MAINTENANCE_PROBLEM,
  )
  @UseGuards(MaintenanceModeGuard)
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
  @ApiBody({ type: LogoutDto, required: false, examples: { everywhere: { value: { allSessions: true } } } })
  @ApiNoContentResponse({ description: 'Ended (AUTH_LOGOUT); no body' })
  @ApiProblems(400, 401, IP_BLOCKED_PROBLEM, 500)
  async logout(@Principal() who: VerifiedToken, @Body() dto: LogoutDto, @Req() req: Request): Promise<void> {
    await this.sessions.logout(who.sub, who.sid, dto.allSessions === true, metaOf(req));
  }

  @Get(['api/v1/auth/me', 'api/auth/me'])
  @Authenticated()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller (also at /api/auth/me, seed 004)' })
  @ApiOkResponse({ type: MeDoc, example: ME_EXAMPLE })
  @ApiProblems(401, IP_BLOCKED_PROBLEM, 500)
  me(@Principal() who: VerifiedToken, @Req() req: Request): MeDoc {
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
