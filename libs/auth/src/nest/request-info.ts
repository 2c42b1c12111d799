import type { Request } from 'express';
import { routeOf } from '@vigil/telemetry';
import { normalizeIp } from '../client-address';
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

/**
 * The client address: `req.ip` as Express resolved it (under the app's trust proxy setting),
 * normalised (normalizeIp: IPv4-mapped IPv6 to IPv4, IPv6 in its RFC 5952 form, zone dropped).
 * When a trusted proxy forwarded something that is not an address, the socket peer is taken
 * instead: never a string an attacker chose.
 */
export function clientIp(
  req: Pick<Request, 'ip'> & { socket?: { remoteAddress?: string } },
): string | undefined {
  return normalizeIp(req.ip) ?? normalizeIp(req.socket?.remoteAddress);
}

export function requestInfo(req: Request): AuthRequestInfo {
  const route = routeOf(req);
  return {
    method: req.method,
    route: route === 'unmatched' ? req.path || '/' : route,
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
  return (
    typeof exception === 'object' &&
    exception !== null &&
    (exception as Record<symbol, unknown>)[AUDITED] === true
  );
}
