import { X509Certificate } from 'node:crypto';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type GaugeMetricData,
} from '@opentelemetry/sdk-metrics';
import { earliestExpiry, trackCertificateExpiry } from './certificate-expiry';

// Two self-signed test certificates (their keys were thrown away): one valid 30 days from when it
// was made, one 10 years.
const SHORT = `-----BEGIN CERTIFICATE-----
MIIBizCCATGgAwIBAgIUaplGJ5gDXI2/axeGmFhCrS+L4eYwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQdmlnaWwtdGVzdC1zaG9ydDAeFw0yNjEyMDIxNDM5MTZaFw0y
NzAxMDExNDM5MTZaMBsxGTAXBgNVBAMMEHZpZ2lsLXRlc3Qtc2hvcnQwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAAThoIm23Q+W/RLS4SDnBCyGgujt45FUNq1fwZjN
3P51NS1oolbt41XAhKy+dJGZg6vZu6WPE+hgJuSk4zx8oSNTo1MwUTAdBgNVHQ4E
FgQUOXNLa4fX8PcU1TNb/VXNrjl2gyQwHwYDVR0jBBgwFoAUOXNLa4fX8PcU1TNb
/VXNrjl2gyQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiAF6S07
u0C79Y9tV3uJ/Oykc8Uojc9t0u3ZvPDXfeP6iwIhAJNw/9anjVXcNI5jo1cyTThY
dqo+PjN/+FoBQKXjy3zM
-----END CERTIFICATE-----
`;
const LONG = `-----BEGIN CERTIFICATE-----
MIIBiTCCAS+gAwIBAgIUfT9y8XnqC/Gn83Ukf7tXHkF1CC0wCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPdmlnaWwtdGVzdC1sb25nMB4XDTI2MTIwMjE0MzkxNloXDTM2
MTEyOTE0MzkxNlowGjEYMBYGA1UEAwwPdmlnaWwtdGVzdC1sb25nMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAExijuFdaEGt2uSxfbcP2Ata8ggRKGFAoP4mY79mOq
Puz0sweFdxGbLtMb585q7GgkFq+2VbNajc6Wuydwn/mDYKNTMFEwHQYDVR0OBBYE
FBW3rhggEOPxW8ojD75jpZ8kuFlFMB8GA1UdIwQYMBaAFBW3rhggEOPxW8ojD75j
pZ8kuFlFMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAP0aNg1A
RyRxYv/ZYITQ+2K2D8lyaaRgHAtfafGFW0h8AiBXmGSCMgf0U+fkVpu1JdvdOIb2
W9SjfJiOzlFt9zFGqA==
-----END CERTIFICATE-----
`;

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

describe('certificate expiry (seed 002-07)', () => {
  it('finds the certificate of a bundle that expires first, with its subject', () => {
    const e = earliestExpiry(`${LONG}${SHORT}`)!;
    expect(e.notAfterSeconds).toBe(Date.parse(new X509Certificate(SHORT).validTo) / 1000);
    expect(e.notAfterSeconds).toBeLessThan(Date.parse(new X509Certificate(LONG).validTo) / 1000);
    expect(e.subject).toBe('CN=vigil-test-short');
    expect(earliestExpiry([LONG, Buffer.from(SHORT)])!.subject).toBe('CN=vigil-test-short');
  });

  it('has nothing to say about a bundle without certificates (a key file, an empty CA)', () => {
    expect(earliestExpiry('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toBeUndefined();
    expect(earliestExpiry('')).toBeUndefined();
  });

  it('exports tls_certificate_not_after_timestamp_seconds per bundle, one series per name', async () => {
    const reader = new TestReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    trackCertificateExpiry('kafka-ca', LONG);
    trackCertificateExpiry('kafka-client', undefined); // no client certificate: no series
    trackCertificateExpiry('kafka-ca', `${LONG}${SHORT}`); // replaced, not added
    trackCertificateExpiry(
      'broken',
      '-----BEGIN CERTIFICATE-----\nnot base64 der\n-----END CERTIFICATE-----',
    ); // ignored
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'tls.certificate.not_after_timestamp_seconds') as GaugeMetricData;
    expect(metric.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [
        { certificate: 'kafka-ca', subject: 'CN=vigil-test-short' },
        Date.parse(new X509Certificate(SHORT).validTo) / 1000,
      ],
    ]);
  });
});
