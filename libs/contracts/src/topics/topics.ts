import { EventType } from '../event-type/event-type';

/** Every topic name. No other file in the repo spells a topic as a string literal. */
export const Topics = {
  AUTH_EVENTS: 'auth.events.v1',
  OPS_EVENTS: 'ops.events.v1',
  SECURITY_ALERTS: 'security.alerts.v1',
  SECURITY_ACTIONS: 'security.actions.v1',
  AUDIT_CHECKPOINTS: 'audit.checkpoints.v1',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export const TOPICS: readonly Topic[] = Object.freeze(Object.values(Topics));

export const DLQ_SUFFIX = '.dlq';

/** The dead-letter topic of `topic`: original bytes and key, plus reason headers. */
export function dlqTopic<T extends string>(topic: T): `${T}.dlq` {
  return `${topic}${DLQ_SUFFIX}` as `${T}.dlq`;
}

/** What the audit-writer consumes: everything that becomes an `audit_logs` row. */
export const AUDITED_TOPICS: readonly Topic[] = Object.freeze([
  Topics.AUTH_EVENTS,
  Topics.OPS_EVENTS,
  Topics.SECURITY_ALERTS,
]);

/**
 * Which event types may appear on each topic. Every type has exactly one home topic (asserted by
 * the spec), so `topicOf(type)` is unambiguous.
 */
export const TOPIC_EVENT_TYPES: { readonly [T in Topic]: readonly EventType[] } = Object.freeze({
  [Topics.AUTH_EVENTS]: Object.freeze([
    EventType.AUTH_LOGIN,
    EventType.FAILED_AUTH_LOGIN,
    EventType.AUTH_LOGOUT,
    EventType.TOKEN_REFRESH,
    EventType.TOKEN_REFRESH_REUSE,
    EventType.TOKEN_REVOKED,
    EventType.TOKEN_VALIDATION_FAILED,
    EventType.ROLE_CHANGED,
    EventType.ACCOUNT_LOCKED,
    EventType.ACCOUNT_UNLOCKED,
    EventType.USER_CREATED,
    EventType.USER_DEACTIVATED,
    EventType.USER_REACTIVATED,
    EventType.ACCESS_DENIED,
    EventType.RATE_LIMITED,
    EventType.SERVER_ERROR,
    EventType.JUNK_REQUESTS_AGGREGATED,
    EventType.SECURITY_ACTION_REJECTED,
    EventType.IP_BLOCKED,
    EventType.IP_UNBLOCKED,
    EventType.PASSWORD_RESET_REQUIRED,
    EventType.PASSWORD_CHANGED,
    EventType.MAINTENANCE_MODE_CHANGED,
    EventType.SIGNING_KEY_ROTATED,
    EventType.LOG_LEVEL_CHANGED,
    EventType.CLIENT_AUTH_FAILED,
  ]),
  // AUDIT_LOG_READ is produced by the audit-writer's query API, not the gateway, so it travels
  // with the other component-produced events (keyed by producer) rather than on auth.events.v1.
  [Topics.OPS_EVENTS]: Object.freeze([
    EventType.AUDIT_LOG_READ,
    EventType.RETENTION_RUN,
    EventType.ARCHIVE_WRITTEN,
    EventType.ARCHIVE_VERIFIED,
    EventType.PARTITION_DROPPED,
    EventType.ARCHIVE_DELETED,
    EventType.LEGAL_HOLD_SET,
    EventType.LEGAL_HOLD_RELEASED,
    EventType.RESTORE_DONE,
    EventType.BACKUP_DONE,
    EventType.SCHEMA_MIGRATION,
    EventType.DEPLOYMENT,
  ]),
  [Topics.SECURITY_ALERTS]: Object.freeze([EventType.SECURITY_ALERT]),
  [Topics.SECURITY_ACTIONS]: Object.freeze([EventType.SECURITY_ACTION]),
  [Topics.AUDIT_CHECKPOINTS]: Object.freeze([EventType.AUDIT_CHECKPOINT, EventType.AUDIT_RETENTION_CUT]),
});

const HOME_TOPIC = new Map<EventType, Topic>();
for (const topic of TOPICS) {
  for (const type of TOPIC_EVENT_TYPES[topic]) HOME_TOPIC.set(type, topic);
}

/** The topic an event of `type` is published on. */
export function topicOf(type: EventType): Topic {
  const topic = HOME_TOPIC.get(type);
  if (topic === undefined) throw new Error(`event type ${type} has no topic`);
  return topic;
}

/** For consumers: whether a decoded event belongs on the topic it was read from. */
export function isTypeAllowedOnTopic(topic: string, type: EventType): boolean {
  return HOME_TOPIC.get(type) === topic;
}
