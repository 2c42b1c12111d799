/**
 * A consumer that dies the hard way: it receives an event and is SIGKILLed inside its handler,
 * before the offset can be committed. Used by the redelivery test: `node -r ./tools/ts-register.js
 * libs/testing/src/crash-consumer.ts <topic> <groupId>`.
 */
import winston from 'winston';
import { createKafka, EventConsumer, EventProducer } from '@vigil/kafka';
import { kafkaBrokers } from './env';

const [topic, groupId] = process.argv.slice(2);
const logger = winston.createLogger({ silent: true });
const kafka = createKafka({ brokers: kafkaBrokers(), clientId: 'vigil-crash-consumer' });
const producer = new EventProducer(kafka, { logger });

void (async () => {
  await producer.connect();
  const consumer = new EventConsumer(kafka, {
    groupId,
    topics: [topic],
    dlqProducer: producer,
    logger,
    // The group notices the dead member only when its session expires: keep that short here.
    sessionTimeoutMs: 6000,
    handler: async (events) => {
      process.stdout.write(`handling ${events[0].event.id}\n`);
      process.kill(process.pid, 'SIGKILL');
      await new Promise(() => undefined);
    },
  });
  await consumer.start();
})();
