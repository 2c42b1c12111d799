import { ConfigError, kafkaSecurityFromEnv } from '@vigil/config';
import { createKafka, type KafkaClient } from '@vigil/kafka';
import type { CliContext } from '../../context';
import { CliError, ExitCode, UnavailableError, UsageError } from '../../errors';

/**
 * A Kafka client for the commands that read the bus directly (alerts, dlq): KAFKA_BROKERS and the
 * same KAFKA_SASL_MECHANISM / KAFKA_USERNAME / KAFKA_PASSWORD[_FILE] / KAFKA_TLS* variables as the
 * other operator CLIs (locally the vigil-admin principal). The password is never printed.
 */
export function kafkaFor(ctx: CliContext, clientId: string): KafkaClient {
  let security;
  try {
    security = kafkaSecurityFromEnv(ctx.io.env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  try {
    return createKafka({ brokers: ctx.config.kafkaBrokers, clientId, retries: 2, security });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A broker error as exit 3 (unavailable), naming the brokers; anything else is passed through. */
export function busError(ctx: CliContext, what: string, err: unknown): never {
  if (err instanceof CliError) throw err;
  const name = (err as Error)?.name ?? '';
  const message = (err as Error)?.message ?? String(err);
  if (/^Kafka|ECONNREFUSED|ETIMEDOUT|SASL|Connection|broker/i.test(`${name} ${message}`))
    throw new UnavailableError(`${what}: Kafka at ${ctx.config.kafkaBrokers.join(',')}: ${message}`);
  throw new CliError(`${what}: ${message}`, ExitCode.failed);
}
