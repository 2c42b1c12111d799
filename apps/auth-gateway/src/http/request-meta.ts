import type { Request } from 'express';
import { clientIp } from '@vigil/auth';
import { HTTP_METHODS, type HttpMethod } from '@vigil/contracts';
import { routeOf } from '@vigil/telemetry';
import type { RequestMeta } from '../events/gateway-event.factory';

/*
 * The one place the gateway decides who the client is. Express resolves `req.ip` under the
 * `trust proxy` setting built from TRUST_PROXY (default: no proxy trusted, so X-Forwarded-For is
 * ignored and the client is the socket peer); @vigil/auth's client-address functions (re-exported
 * here) normalise that address and derive the key the throttles count under.
 */

export function metaOf(req: Request): RequestMeta {
  return { ip: clientIp(req), userAgent: req.header('user-agent') ?? undefined };
}

/** The request's method as events name it (an unknown one is recorded as GET). */
export function methodOf(m: string): HttpMethod {
  return (HTTP_METHODS as readonly string[]).includes(m) ? (m as HttpMethod) : 'GET';
}

// The client address functions are shared with the audit API (@vigil/auth); gateway code imports them from here.
export { clientIp as clientIpOf, normalizeIp, throttleKeyOf } from '@vigil/auth';

// TRUST_PROXY is every service's (libs/config); the gateway's tests and code import it from here too.
export { parseTrustProxy, MAX_TRUSTED_HOPS, type TrustProxy } from '@vigil/config';

/** Route template for events (`/api/v1/admin/users/:id`), or the bare path when no route matched. */
export function routeTemplateOf(req: Request): string {
  const route = routeOf(req);
  const path = route === 'unmatched' ? req.path : route;
  return /^\/[^?#\s]*$/.test(path) ? path.slice(0, 256) : '/';
}

// The guards compare paths the way Express routes them; the rule lives with the other HTTP plumbing.
export { canonicalPath } from '@vigil/runtime';
