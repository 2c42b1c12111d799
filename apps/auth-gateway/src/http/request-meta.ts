import type { Request } from 'express';
import { clientIp } from '@vigil/auth';
import { routeOf } from '@vigil/telemetry';
import type { RequestMeta } from '../events/event-builder';

export function metaOf(req: Request): RequestMeta {
  return { ip: clientIp(req), userAgent: req.header('user-agent') ?? undefined };
}

/** Route template for events (`/api/v1/admin/users/:id`), or the bare path when no route matched. */
export function routeTemplateOf(req: Request): string {
  const route = routeOf(req);
  const path = route === 'unmatched' ? req.path : route;
  return /^\/[^?#\s]*$/.test(path) ? path.slice(0, 256) : '/';
}

/**
 * A path as Express routing sees it: case-insensitive, repeated and trailing slashes ignored,
 * percent-escapes decoded. Guards that exempt or select by prefix compare this, so `/API/v1/...`
 * or `/api/v1/auth/login/` meets the same rule as the canonical spelling.
 */
export function canonicalPath(path: string): string {
  let p = path;
  try {
    p = decodeURIComponent(p);
  } catch {
    // A malformed escape: Express does not route it either; compare it as it is.
  }
  p = p.toLowerCase().replace(/\/{2,}/g, '/');
  if (p.length > 1) p = p.replace(/\/+$/, '');
  return p || '/';
}
