import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { ClientAuthEndpoint } from '@vigil/contracts';
import { metaOf, routeTemplateOf } from '../http/request-meta';
import type { ClientAuthContext } from './client-authenticator';

const storage = new AsyncLocalStorage<Request>();

/**
 * Keeps the request of the token, revocation and introspection endpoints at hand for the whole
 * request, so the client authenticator can count and audit a failure against the caller's address
 * and name the endpoint without every call site passing the request.
 */
@Injectable()
export class ClientAuthRequestMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    storage.run(req, () => next());
  }
}

const ENDPOINTS: ReadonlyArray<[RegExp, ClientAuthEndpoint]> = [
  [/\/introspect\/?$/, 'introspection'],
  [/\/revoke\/?$/, 'revocation'],
];

/** The current OAuth request's caller, route and endpoint (`token` outside one: the strictest reading). */
export function clientAuthContext(): ClientAuthContext {
  const req = storage.getStore();
  if (!req) return { endpoint: 'token', route: '/api/v1/auth/token', meta: {} };
  const endpoint = ENDPOINTS.find(([re]) => re.test(req.path))?.[1] ?? 'token';
  return { endpoint, route: routeTemplateOf(req), meta: metaOf(req) };
}
