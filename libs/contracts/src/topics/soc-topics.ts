/*
 * The SOC delivery topics (security-monitor README "SOC delivery"): each alert transition of
 * security.alerts.v1 again in a format SIEMs ingest, and the escalation webhook's dead letters.
 * Named here, beside the other topics, so no other file spells them.
 */
export const SocTopics = {
  /** OCSF 1.1.0 Detection Finding (class 2004) JSON, keyed by alertId. */
  ALERTS_OCSF: 'security.alerts.ocsf.v1',
  /** Elastic Common Schema 8.11 JSON (event.kind alert), keyed by alertId. */
  ALERTS_ECS: 'security.alerts.ecs.v1',
  /**
   * Escalations the webhook could not deliver: the SECURITY_ALERT event as published, keyed by
   * alertId, with `dlq-*` headers (reason, detail, attempts, last HTTP status, format).
   */
  WEBHOOK_DLQ: 'security.alerts.webhook.dlq.v1',
} as const;

export type SocTopic = (typeof SocTopics)[keyof typeof SocTopics];
