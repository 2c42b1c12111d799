import { EventType } from '../event-type/event-type';
import { EventEnvelope } from '../envelope/envelope';
import { AnyEvent } from '../registry/event-registry';
import { Topics, topicOf } from '../topics/topics';

/**
 * The form an attempted username is keyed and counted by, so `Alice `, `alice` and the
 * full-width `ａｌｉｃｅ` are one account to the partitioner and the detector alike.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

/**
 * The Kafka record key (DESIGN.md "Topics"). It decides the partition, hence ordering and where
 * keyed detection state lives:
 * - auth events: subject user id, else normalised attempted username, else source IP, else event id;
 * - alerts: alertId (the dedup key); actions: target value; checkpoints: chainId; retention cuts:
 *   `<chainId>#cut` (the topic is compacted: one key each keeps a chain's latest checkpoint and cut);
 * - ops events: producer (the component).
 */
export function eventKey(envelope: EventEnvelope): string {
  // Keys are computed for events that passed validation, so the type tells the attributes' shape.
  const event = envelope as AnyEvent;
  switch (event.type) {
    case EventType.SECURITY_ALERT:
      return event.attributes.alertId;
    case EventType.SECURITY_ACTION:
      return event.attributes.target.value;
    case EventType.IP_BLOCKED:
    case EventType.IP_UNBLOCKED:
      return event.attributes.ip;
    case EventType.AUDIT_CHECKPOINT:
      return event.attributes.chainId;
    case EventType.AUDIT_RETENTION_CUT:
      return `${event.attributes.chainId}#cut`;
  }
  if (topicOf(event.type) === Topics.OPS_EVENTS) return event.producer;

  const userId = event.subject?.userId;
  if (userId) return userId;
  const username = event.subject?.username === undefined ? '' : normalizeUsername(event.subject.username);
  if (username) return username;
  return event.source?.ip || event.id;
}
