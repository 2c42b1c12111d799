import { X509Certificate } from 'node:crypto';
import { metrics } from '@opentelemetry/api';

/**
 * When the TLS certificates a service trusts or presents to the brokers expire (seeds 002-07,
 * 002-44): `tls_certificate_not_after_timestamp_seconds{certificate, subject}` in Prometheus, the
 * earliest notAfter of each PEM bundle (a CA file may hold several). Prometheus alerts 14 and 3
 * days ahead (deploy/prometheus/rules/vigil-platform.yml).
 */
export interface CertificateExpiry {
  /** Unix seconds of the earliest notAfter in the bundle. */
  notAfterSeconds: number;
  /** That certificate's subject, e.g. "CN=vigil-local-ca". */
  subject: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificate of a PEM bundle that expires first; undefined when it holds none. */
export function earliestExpiry(pem: string | Buffer | Array<string | Buffer>): CertificateExpiry | undefined {
  const text = (Array.isArray(pem) ? pem : [pem]).map((p) => p.toString()).join('\n');
  let earliest: CertificateExpiry | undefined;
  for (const block of text.match(PEM_CERTIFICATE) ?? []) {
    const cert = new X509Certificate(block);
    const notAfterSeconds = Date.parse(cert.validTo) / 1000;
    if (!earliest || notAfterSeconds < earliest.notAfterSeconds)
      earliest = { notAfterSeconds, subject: cert.subject.replace(/\n/g, ', ') };
  }
  return earliest;
}

const tracked = new Map<string, CertificateExpiry>();
let registered = false;

/**
 * Exports the expiry of a certificate bundle under `certificate` (e.g. kafka-ca). Called for the
 * same name again (another client in the process) it replaces the value: one series per name.
 */
export function trackCertificateExpiry(
  certificate: string,
  pem: string | Buffer | Array<string | Buffer> | undefined,
): void {
  let expiry: CertificateExpiry | undefined;
  try {
    expiry = pem === undefined ? undefined : earliestExpiry(pem);
  } catch {
    return; // not a parsable certificate: the TLS handshake reports it, with more detail
  }
  if (!expiry) return;
  tracked.set(certificate, expiry);
  if (registered) return;
  registered = true;
  metrics
    .getMeter('vigil.kafka')
    .createObservableGauge('tls.certificate.not_after_timestamp_seconds', {
      description: 'Unix time the earliest-expiring certificate of each TLS bundle in use expires',
    })
    .addCallback((r) => {
      for (const [name, e] of tracked)
        r.observe(e.notAfterSeconds, { certificate: name, subject: e.subject });
    });
}
