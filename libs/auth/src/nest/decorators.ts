import {
  applyDecorators,
  createParamDecorator,
  SetMetadata,
  UseGuards,
  type ExecutionContext,
} from '@nestjs/common';
import type { Role } from '../roles';
import { JwtAuthGuard, RolesGuard } from './jwt-auth.guard';
import { principalOf } from './request-info';
import { ROLES_KEY } from './tokens';

/** Requires a valid access token carrying at least one of `roles` (401 / 403 otherwise). */
export function Roles(...roles: Role[]): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(ROLES_KEY, roles), UseGuards(JwtAuthGuard, RolesGuard));
}

/** Requires a valid access token, whatever its roles. */
export function Authenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(UseGuards(JwtAuthGuard));
}

/** The verified caller (`VerifiedToken`) of a guarded handler. */
export const Principal = createParamDecorator((_data: unknown, ctx: ExecutionContext) =>
  principalOf(ctx.switchToHttp().getRequest()),
);
