import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'winston';
import { kafkaSecurityFromEnv, type KafkaSecurity } from '@vigil/config';
import { trackCertificateExpiry } from './certificate-expiry';
import type { KafkaClient } from './types';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
  /** Connection retries before a call fails (KafkaJS default is 5). */
  retries?: number;
  connectionTimeoutMs?: number;
  /**
   * How to authenticate (SASL) and whether to speak TLS. Services pass their validated config
   * (kafkaSecurityOf); when omitted (CLIs, scripts, test fixtures) it is read from the
   * environment with kafkaSecurityFromEnv: KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD[_FILE], KAFKA_TLS*.
   */
  security?: KafkaSecurity;
}

/** KafkaJS's `sasl` and `ssl` options for `security`; refuses a SASL mechanism without credentials. */
export function kafkaAuthOptions(security: KafkaSecurity): Pick<KafkaConfig, 'sasl' | 'ssl'> {
  const ssl: KafkaConfig['ssl'] = security.tls ? { ...security.tls, rejectUnauthorized: true } : undefined;
  if (security.mechanism === 'none') return { ssl };
  if (!security.username)
    throw new Error(`Kafka SASL ${security.mechanism} needs a user: set KAFKA_USERNAME`);
  if (security.password === undefined) {
    throw new Error(
      `Kafka SASL ${security.mechanism} needs a password for ${security.username}: set KAFKA_PASSWORD or KAFKA_PASSWORD_FILE (locally: run deploy/local/kafka.sh start)`,
    );
  }
  const sasl = {
    mechanism: security.mechanism,
    username: security.username,
    password: security.password,
  } as SASLOptions;
  return { sasl, ssl };
}

const levels: Record<number, string> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A KafkaJS client whose own log lines go through our (redacting, JSON) logger. */
export function createKafka(opts: KafkaClientOptions): KafkaClient {
  const security = opts.security ?? kafkaSecurityFromEnv();
  // /metrics shows when the CA and client certificates expire (seed 002-07's alert).
  trackCertificateExpiry('kafka-ca', security.tls?.ca);
  trackCertificateExpiry('kafka-client', security.tls?.cert);
  const config: KafkaConfig = {
    clientId: opts.clientId,
    brokers: opts.brokers,
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    retry: { retries: opts.retries ?? 5, initialRetryTime: 300, maxRetryTime: 10000 },
    ...kafkaAuthOptions(security),
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
