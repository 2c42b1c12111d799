import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'winston';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
  /** Connection retries before a call fails (KafkaJS default is 5). */
  retries?: number;
  connectionTimeoutMs?: number;
}

const levels: Record<number, string> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A KafkaJS client whose own log lines go through our (redacting, JSON) logger. */
export function createKafka(opts: KafkaClientOptions): Kafka {
  const config: KafkaConfig = {
    clientId: opts.clientId,
    brokers: opts.brokers,
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    retry: { retries: opts.retries ?? 5, initialRetryTime: 300, maxRetryTime: 10000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, label, log }: LogEntry) => {
        if (!opts.logger) return;
        const { message, ...extra } = log;
        opts.logger.log(levels[level] ?? 'info', `kafkajs: ${message}`, { kafka: { label, ...extra } });
      },
  };
  return new Kafka(config);
}
