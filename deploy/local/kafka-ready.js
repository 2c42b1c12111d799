#!/usr/bin/env node
// Waits until the Kafka cluster in KAFKA_BROKERS completes a real produce + consume round trip
// through a consumer group. An open port is not readiness: right after start the group
// coordinator answers "coordinator is loading" for several seconds.
'use strict';
const { Kafka, logLevel } = require('kafkajs');
const { randomUUID } = require('node:crypto');

const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
const timeoutMs = Number(process.env.KAFKA_READY_TIMEOUT || 90) * 1000;
const topic = '__vigil_readiness';
const deadline = Date.now() + timeoutMs;

async function roundTrip() {
  const kafka = new Kafka({ clientId: 'vigil-readiness', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `vigil-readiness-${randomUUID()}` });
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    }
    const marker = randomUUID();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: marker }] });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 15 s')), 15000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.value && message.value.toString() === marker) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  }
}

(async () => {
  let attempt = 0;
  let lastError = '';
  while (Date.now() < deadline) {
    attempt += 1;
    try {
      const started = Date.now();
      await roundTrip();
      console.error(`[kafka] ready at ${brokers.join(',')} (round trip ${Date.now() - started} ms, attempt ${attempt})`);
      process.exit(0);
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  console.error(`[kafka] not ready at ${brokers.join(',')} after ${timeoutMs / 1000} s: ${lastError}`);
  process.exit(1);
})();
