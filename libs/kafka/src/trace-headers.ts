import { context, propagation, trace, SpanKind, type Context, type Span } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

const getter = {
  keys: (carrier: IHeaders) => Object.keys(carrier),
  get: (carrier: IHeaders, key: string) => {
    const v = carrier[key];
    const first = Array.isArray(v) ? v[0] : v;
    return first === undefined ? undefined : first.toString();
  },
};

/** The W3C trace context of the message (traceparent/tracestate headers), or the active one. */
export function extractContext(headers: IHeaders | undefined): Context {
  return propagation.extract(context.active(), headers ?? {}, getter);
}

/** Writes traceparent/tracestate of the given (or active) context into Kafka headers. */
export function injectContext(
  headers: Record<string, string>,
  ctx: Context = context.active(),
): Record<string, string> {
  propagation.inject(ctx, headers);
  return headers;
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  return headers ? getter.get(headers, name) : undefined;
}

const tracer = () => trace.getTracer('vigil.kafka');

/** Runs fn inside a consumer span whose parent is the message's trace context. */
export async function withConsumerSpan<T>(
  name: string,
  parent: Context,
  attrs: Record<string, string | number>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { kind: SpanKind.CONSUMER, attributes: attrs },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err as Error);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

export function startProducerSpan(name: string, attrs: Record<string, string | number>): Span {
  return tracer().startSpan(name, { kind: SpanKind.PRODUCER, attributes: attrs });
}

/** The traceparent string of a span, for storing beside an outbox row. */
export function traceparentOf(span: Span): string {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return carrier.traceparent;
}
