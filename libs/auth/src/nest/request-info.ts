import type { Request } from 'express';
import { routeOf } from '@vigil/telemetry';
import type { VerifiedToken } from '../verified-token';
import type { AuthRequestInfo } from './auth-events-sink';

const PRINCIPAL = 'principal';

/** The verified caller the guards attached to the request, if any. */
export function principalOf(req: unknown): VerifiedToken | undefined {
  return (req as Record<string, VerifiedToken | undefined>)[PRINCIPAL];
}

export function setPrincipal(req: unknown, principal: VerifiedToken): void {
  (req as Record<string, VerifiedToken>)[PRINCIPAL] = principal;
}

/** The client address as Express resolved it (trust proxy), IPv4-mapped IPv6 unwrapped. */
export function clientIp(req: Pick<Request, 'ip'>): string | undefined {
  const ip = req.ip;
  if (!ip) return undefined;
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export function requestInfo(req: Request): AuthRequestInfo {
  const route = routeOf(req);
  return {
    method: req.method,
    route: route === 'unmatched' ? (req.path || '/') : route,
    ip: clientIp(req),
    userAgent: req.header('user-agent') ?? undefined,
    raw: req,
  };
}

const AUDITED = Symbol.for('vigil.auth.audited');

/**
 * Marks an exception whose event was already emitted (by a guard's sink), so an app-wide filter
 * that audits every 403/429/5xx does not emit it twice.
 */
export function markAudited<E extends object>(exception: E): E {
  Object.defineProperty(exception, AUDITED, { value: true, enumerable: false });
  return exception;
}

export function isAudited(exception: unknown): boolean {
  return typeof exception === 'object' && exception !== null && (exception as Record<symbol, unknown>)[AUDITED] === true;
}
