import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { redactString } from '@vigil/telemetry';

/** Why a message went to `<topic>.dlq`; stable codes a dashboard can group by. */
export type DlqReason =
  'empty' | 'invalid_json' | 'schema_violation' | 'unknown_type' | 'unsupported_version' | 'handler_failed';

export interface DlqContext {
  topic: string;
  partition: number;
  groupId: string;
  reason: DlqReason | string;
  detail: string;
  attempts: number;
}

const MAX_DETAIL = 1000;

/**
 * The original bytes, key and headers, untouched, plus `dlq-*` headers that say where the message
 * came from and why it failed. Details are redacted and bounded: an error message may quote input.
 */
export function toDlqMessage(message: KafkaMessage, ctx: DlqContext): Message {
  const headers: IHeaders = { ...(message.headers ?? {}) };
  Object.assign(headers, {
    'dlq-reason': ctx.reason,
    'dlq-detail': redactString(ctx.detail).slice(0, MAX_DETAIL),
    'dlq-original-topic': ctx.topic,
    'dlq-original-partition': String(ctx.partition),
    'dlq-original-offset': message.offset,
    'dlq-original-timestamp': message.timestamp,
    'dlq-consumer-group': ctx.groupId,
    'dlq-attempts': String(ctx.attempts),
    'dlq-failed-at': new Date().toISOString(),
  });
  return { key: message.key, value: message.value, headers, timestamp: message.timestamp };
}
