import { isIP } from 'node:net';
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

/** TRUST_PROXY, parsed: `false` (no proxy trusted), a hop count, or addresses/CIDRs/presets. */
export type TrustProxy = false | number | string[];

const PRESETS = ['loopback', 'linklocal', 'uniquelocal'];
export const MAX_TRUSTED_HOPS = 10;

/**
 * Parses TRUST_PROXY: empty for none; an integer, the number of proxies in front of the gateway
 * (the client is that many hops back in X-Forwarded-For); or a comma-separated list of proxy
 * addresses and CIDRs (and Express's presets loopback, linklocal, uniquelocal). `true` ("trust
 * everything", any client picks its own address) is refused.
 */
export function parseTrustProxy(raw: string | undefined): { value?: TrustProxy; problem?: string } {
  const s = raw?.trim() ?? '';
  if (s === '') return { value: false };
  if (/^\d+$/.test(s)) {
    const hops = Number(s);
    if (hops > MAX_TRUSTED_HOPS)
      return { problem: `must be a hop count of at most ${MAX_TRUSTED_HOPS} (got ${hops})` };
    return { value: hops === 0 ? false : hops };
  }
  const items = s.split(',').map((x) => x.trim());
  const bad = items.filter((x) => !validTrustEntry(x));
  if (bad.length)
    return {
      problem: `must be a hop count or a comma-separated list of IP addresses/CIDRs (bad: ${bad.map((b) => JSON.stringify(b.slice(0, 60))).join(', ')})`,
    };
  return { value: items };
}

function validTrustEntry(x: string): boolean {
  if (PRESETS.includes(x)) return true;
  const [addr, prefix, ...rest] = x.split('/');
  if (rest.length) return false;
  const kind = isIP(addr);
  if (kind === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (kind === 4 ? 32 : 128);
}

/** Route template for events (`/api/v1/admin/users/:id`), or the bare path when no route matched. */
export function routeTemplateOf(req: Request): string {
  const route = routeOf(req);
  const path = route === 'unmatched' ? req.path : route;
  return /^\/[^?#\s]*$/.test(path) ? path.slice(0, 256) : '/';
}

// The guards compare paths the way Express routes them; the rule lives with the other HTTP plumbing.
export { canonicalPath } from '@vigil/runtime';
