/**
 * Starts the OpenTelemetry SDK. Each app's instrumentation.ts calls it, and main.ts imports that
 * file first, before Nest or any instrumented library is loaded, so that the global meter and tracer providers exist when the
 * rest of the process asks for them.
 *
 * Metrics are exported in Prometheus format on the service's own HTTP port (GET /metrics), not on a
 * second port. Traces are exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set; without
 * it spans are still created (so W3C trace context flows through HTTP and Kafka) but not exported.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { setPrometheusExporter } from './prometheus';
import { startRuntimeMetrics } from './runtime-metrics';

class NonExportingSpanProcessor implements SpanProcessor {
  onStart(_span: Span): void {}
  onEnd(_span: ReadableSpan): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

let sdk: NodeSDK | undefined;

/** Starts the SDK once per process; later calls are no-ops. */
export function startTelemetry(serviceName: string): void {
  if (sdk) return;
  const exportTraces = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  process.env.OTEL_METRICS_EXPORTER ??= 'none'; // the Prometheus reader below is the one we use
  if (!exportTraces) process.env.OTEL_TRACES_EXPORTER ??= 'none';

  const exporter = new PrometheusExporter({ preventServerStart: true });
  setPrometheusExporter(exporter);
  sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? serviceName,
    metricReaders: [exporter],
    ...(exportTraces ? {} : { spanProcessors: [new NonExportingSpanProcessor()] }),
    instrumentations: [],
  });
  sdk.start();
  startRuntimeMetrics();
}

export async function shutdownTelemetry(): Promise<void> {
  await sdk?.shutdown().catch(() => undefined);
}
