import { metrics } from '@opentelemetry/api';

/** The gateway's own instruments (Prometheus names: dots become underscores). */
function build() {
  const m = metrics.getMeter('vigil.gateway');
  return {
    logins: m.createCounter('auth.logins', {
      description: 'Login attempts by outcome (success, failure, rate_limited)',
    }),
    refreshes: m.createCounter('auth.refreshes', { description: 'Refresh attempts by outcome' }),
    outboxPublished: m.createCounter('outbox.published', {
      description: 'Outbox events acknowledged by Kafka',
    }),
    outboxDead: m.createCounter('outbox.dead', {
      description: 'Outbox rows that failed validation and were set aside',
    }),
    outboxPublishErrors: m.createCounter('outbox.publish.errors', {
      description: 'Relay batches that Kafka did not take (retried)',
    }),
    outboxLag: m.createHistogram('outbox.publish.lag.seconds', {
      unit: 's',
      description: 'Time from the outbox write to the Kafka acknowledgement',
      advice: { explicitBucketBoundaries: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] },
    }),
    eventsDropped: m.createCounter('auth.events.dropped', {
      description: 'Events that could not be written to the outbox (database down) nor sent directly',
    }),
    securityActions: m.createCounter('security.actions.applied', {
      description: 'security.actions.v1 commands handled, by action and result',
    }),
    clientAuthentications: m.createCounter('oauth.client.authentications', {
      description: 'OAuth client authentications by outcome (success, failure, rate_limited) and reason',
    }),
    clientSecretVerifications: m.createCounter('oauth.client.secret.verifications', {
      description: 'Argon2 verifications of presented client secrets (unknown clients: the dummy verify)',
    }),
    securityActionsRejected: m.createCounter('security.actions.rejected', {
      description:
        'security.actions.v1 commands refused (signature, expiry, replay, policy), by action and reason',
    }),
  };
}

let instruments: ReturnType<typeof build> | undefined;
export function gatewayMetrics() {
  instruments ??= build();
  return instruments;
}

/** Gauges read from the last observation (the relay and the maintenance loop refresh them). */
export const gauges = { outboxDepth: 0, outboxOldestAgeSeconds: 0, activeSessions: 0 };
let gaugesRegistered = false;
let signingKeyCreatedAt: (() => number | undefined) | undefined;

/**
 * Exports when the key that signs access tokens was made (seeds 004-45, 000-54: rotate every 90
 * days; Prometheus alerts when it is older): `read` returns its Unix seconds, undefined for none.
 */
export function watchSigningKey(read: () => number | undefined): void {
  signingKeyCreatedAt = read;
  registerGauges();
}

export function registerGauges(): void {
  if (gaugesRegistered) return;
  gaugesRegistered = true;
  const m = metrics.getMeter('vigil.gateway');
  m.createObservableGauge('outbox.depth', { description: 'Outbox events not yet published' }).addCallback(
    (r) => r.observe(gauges.outboxDepth),
  );
  m.createObservableGauge('outbox.oldest.age.seconds', {
    description: 'Age of the oldest unpublished outbox event (relay lag)',
  }).addCallback((r) => r.observe(gauges.outboxOldestAgeSeconds));
  m.createObservableGauge('auth.active_sessions', {
    description: 'Sessions neither revoked nor expired (seed 001 activity tracker)',
  }).addCallback((r) => r.observe(gauges.activeSessions));
  m.createObservableGauge('auth.signing_key.created_timestamp_seconds', {
    description: 'Unix time the key now signing access tokens was made (its age: time() minus this)',
  }).addCallback((r) => {
    const created = signingKeyCreatedAt?.();
    if (created !== undefined) r.observe(created);
  });
}
