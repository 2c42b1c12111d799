import { toMessage } from '@vigil/kafka';
import type { OutgoingRecord } from './soc-sinks';
import type { DeadLetter } from './webhook-dispatcher';

/**
 * The webhook DLQ record: the SECURITY_ALERT exactly as published (key alertId), with dlq-* headers
 * saying why, after how many attempts, the last HTTP status and the format; never the URL or a
 * signature. Written by the service and by `monitor:webhook-replay` (which adds `dlq-replayed`).
 */
export function webhookDeadLetterRecord(
  d: DeadLetter,
  originalTopic: string,
  extraHeaders: Record<string, string> = {},
): OutgoingRecord {
  const base = toMessage(d.event);
  return {
    ...base,
    key: d.event.attributes.alertId,
    headers: {
      ...(base.headers ?? {}),
      'dlq-reason': d.reason,
      'dlq-detail': d.detail.slice(0, 1000),
      'dlq-attempts': String(d.attempts),
      'dlq-failed-at': new Date().toISOString(),
      'dlq-original-topic': originalTopic,
      'dlq-webhook-format': d.format,
      ...extraHeaders,
      ...(d.lastStatus !== undefined ? { 'dlq-webhook-status': String(d.lastStatus) } : {}),
    },
  };
}
