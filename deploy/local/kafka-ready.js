#!/usr/bin/env node
// Waits until the Kafka cluster in KAFKA_BROKERS completes a real produce + consume round trip
// through a consumer group. An open port is not readiness: right after start the group
// coordinator answers "coordinator is loading" for several seconds.
// It authenticates as KAFKA_USERNAME with KAFKA_PASSWORD or KAFKA_PASSWORD_FILE
// (KAFKA_SASL_MECHANISM, default scram-sha-512), by default the local vigil-admin whose password
// deploy/local/kafka.sh keeps in $KAFKA_HOME/sasl; KAFKA_TLS=true and KAFKA_TLS_CA_FILE for TLS.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Kafka, logLevel } = require('kafkajs');
const { randomUUID } = require('node:crypto');

function auth() {
  const e = process.env;
  const mechanism = e.KAFKA_SASL_MECHANISM || 'scram-sha-512';
  const ssl = /^(true|1|yes|on)$/i.test(e.KAFKA_TLS || '')
    ? { ca: e.KAFKA_TLS_CA_FILE ? fs.readFileSync(e.KAFKA_TLS_CA_FILE, 'utf8') : undefined }
    : undefined;
  if (mechanism === 'none') return { ssl };
  const username = e.KAFKA_USERNAME || 'vigil-admin';
  const file =
    e.KAFKA_PASSWORD_FILE ||
    path.join(
      e.KAFKA_SASL_DIR || path.join(e.KAFKA_HOME || path.join(__dirname, '../../.cache/kafka'), 'sasl'),
      `${username}.password`,
    );
  let password = e.KAFKA_PASSWORD;
  if (!password) {
    try {
      password = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      console.error(
        `[kafka] no password for ${username}: set KAFKA_PASSWORD or KAFKA_PASSWORD_FILE (${file}: ${err.code || err.message})`,
      );
      process.exit(2);
    }
  }
  return { sasl: { mechanism, username, password }, ssl };
}
const security = auth();

const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
const timeoutMs = Number(process.env.KAFKA_READY_TIMEOUT || 90) * 1000;
const topic = '__vigil_readiness';
const deadline = Date.now() + timeoutMs;

async function roundTrip() {
  const kafka = new Kafka({
    clientId: 'vigil-readiness',
    brokers,
    ...security,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `vigil-readiness-${randomUUID()}` });
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
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

const started0 = Date.now();
(async () => {
  let attempt = 0;
  let lastError = '';
  while (Date.now() < deadline) {
    attempt += 1;
    try {
      const started = Date.now();
      await roundTrip();
      console.error(
        `[kafka] ready at ${brokers.join(',')} (round trip ${Date.now() - started} ms, attempt ${attempt})`,
      );
      process.exit(0);
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      // Wrong credentials do not get better by waiting.
      if (
        err &&
        (err.type === 'SASL_AUTHENTICATION_FAILED' || /SASL .*authentication failed/i.test(lastError)) &&
        Date.now() - started0 > 15000
      )
        break;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  console.error(`[kafka] not ready at ${brokers.join(',')} after ${timeoutMs / 1000} s: ${lastError}`);
  process.exit(1);
})();
