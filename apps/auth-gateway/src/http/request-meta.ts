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

// The guards compare paths the way Express routes them; the rule lives with the other HTTP plumbing.
export { canonicalPath } from '@vigil/runtime';
