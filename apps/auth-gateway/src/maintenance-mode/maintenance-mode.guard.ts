import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { MaintenanceModeService } from './maintenance-mode.service';

/**
 * On the routes that start or extend a session (login, token, refresh, password change): 503
 * problem+json with Retry-After while maintenance mode is on. Password logins pass to the login
 * service, which lets administrators in (after the usual checks) so they can still turn it off;
 * everything else keeps working (issued tokens, health, the admin API).
 */
@Injectable()
export class MaintenanceModeGuard implements CanActivate {
  constructor(private readonly maintenance: MaintenanceModeService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request>();
    if (isPasswordLogin(req)) return true; // decided by LoginService.assertOpen, once the user is known
    await this.maintenance.assertOpen();
    return true;
  }
}

function isPasswordLogin(req: Request): boolean {
  const path = req.path.replace(/\/+$/, '');
  if (path.endsWith('/auth/login')) return true;
  const grant = (req.body as { grant_type?: unknown } | undefined)?.grant_type ?? 'password';
  return path.endsWith('/auth/token') && grant === 'password';
}
