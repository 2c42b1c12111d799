import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

let exporter: PrometheusExporter | undefined;

export function setPrometheusExporter(e: PrometheusExporter): void {
  exporter = e;
}

/** Serves the Prometheus text format; 503 when the SDK was not started (register not imported). */
export function serveMetrics(req: IncomingMessage, res: ServerResponse): void {
  if (!exporter) {
    res.statusCode = 503;
    res.setHeader('content-type', 'text/plain');
    res.end('# telemetry not started: import @vigil/telemetry/register first\n');
    return;
  }
  exporter.getMetricsRequestHandler(req, res);
}
