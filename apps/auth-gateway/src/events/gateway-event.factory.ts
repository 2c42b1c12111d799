import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  createEvent,
  ENVELOPE_LIMITS,
  type EventFields,
  type EventOf,
  type EventType,
} from '@vigil/contracts';
import { currentContext } from '@vigil/telemetry';
import { SERVICE } from '../config';

/** Who made a request, as far as events are concerned: never a credential. */
export interface RequestMeta {
  ip?: string;
  userAgent?: string;
}

// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/g;

export function sourceOf(meta: RequestMeta | undefined): { ip?: string; userAgent?: string } | undefined {
  if (!meta) return undefined;
  const ip = meta.ip && isIP(meta.ip) ? meta.ip : undefined;
  const ua = meta.userAgent?.replace(CONTROL, ' ').trim().slice(0, ENVELOPE_LIMITS.userAgent) || undefined;
  return ip || ua ? { ...(ip ? { ip } : {}), ...(ua ? { userAgent: ua } : {}) } : undefined;
}

/** An attempted username as events carry it: printable, bounded (never a password, by construction). */
export function attemptedUsername(name: string): string {
  return name.replace(CONTROL, ' ').trim().slice(0, ENVELOPE_LIMITS.username) || '?';
}

/**
 * The request's W3C traceparent: the caller's if it sent one, else one started here, remembered
 * for the rest of the request so all its events share a trace.
 */
export function requestTraceparent(): string {
  const ctx = currentContext();
  if (ctx?.traceparent) return ctx.traceparent;
  const tp = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  if (ctx) ctx.traceparent = tp;
  return tp;
}

type Fields<T extends EventType> = Omit<
  EventFields<T>,
  'producer' | 'requestId' | 'traceparent' | 'source'
> & { meta?: RequestMeta };

/**
 * The gateway's one event factory: every event it writes (to the outbox, or straight to Kafka when
 * the database is down) is built here, on @vigil/contracts' createEvent, and validated before it is
 * stored. SQL never assembles or patches one (only the users triggers do, for out-of-band SQL).
 *
 * Builds a validated gateway event carrying the request id, trace and source of the current request. */
export function gatewayEvent<T extends EventType>(type: T, fields: Fields<T>): EventOf<T> {
  const { meta, ...rest } = fields;
  const ctx = currentContext();
  const source = sourceOf(meta);
  return createEvent(type, {
    ...(rest as EventFields<T>),
    producer: SERVICE,
    ...(ctx?.requestId ? { requestId: ctx.requestId } : {}),
    traceparent: requestTraceparent(),
    ...(source ? { source } : {}),
  } as EventFields<T>);
}
