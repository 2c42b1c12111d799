/**
 * Issue 14 item 1: the bus is authenticated (SASL/SCRAM-SHA-512, TLS where configured) and each
 * service principal has only what DESIGN.md's topic table implies (seed rows 002-43 private
 * connectivity, 002-44 TLS for outbound traffic, 002-45 least privilege). Against the real broker
 * deploy/local/kafka.sh runs, provisioned by kafka:provision.
 */
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { dlqTopic, SocTopics, TOPICS } from '@vigil/contracts';
import {
  aclPlan,
  BUS_TOPICS,
  isAuthorizationError,
  MONITOR_PARTIALS_TOPIC,
  MONITOR_REPARTITION_TOPIC,
  PRINCIPALS,
  SERVICE_RIGHTS,
  type ServicePrincipal,
} from '@vigil/kafka';
import { kafkaAs, kafkaBrokers, kafkaTlsEndpoint, testKafka, waitFor } from '@vigil/testing';
import request from 'supertest';
import { CHECKPOINT_TOPIC_SPEC } from '../../apps/audit-writer/src/checkpoints/checkpoint-events';
import { startApp } from '../support/apps';

const REAL = [...TOPICS, MONITOR_REPARTITION_TOPIC, MONITOR_PARTIALS_TOPIC, ...Object.values(SocTopics)];
const SERVICES = Object.keys(SERVICE_RIGHTS) as ServicePrincipal[];

/** The broker's refusal as its error code (KafkaJS reports a refused metadata request by message only). */
function refusal(err: unknown): string {
  const e = err as { type?: string; message?: string };
  if (e.type) return e.type;
  return /Not authorized to access topics/.test(e.message ?? '')
    ? 'TOPIC_AUTHORIZATION_FAILED'
    : String(e.message);
}

/** The broker's answer to one produce as `principal`: 'ok' or the KafkaJS error type. */
async function produceAs(principal: string, topic: string): Promise<string> {
  const producer = kafkaAs(principal).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'acl-test', value: '{}' }] });
    return 'ok';
  } catch (err) {
    return refusal(err);
  } finally {
    await producer.disconnect();
  }
}

/** The first fetch as `principal` with a group under its prefix: 'ok' (a record arrived) or the error type. */
async function consumeAs(principal: string, topic: string, group: string): Promise<string> {
  const consumer = kafkaAs(principal).consumer({
    groupId: `${group}.acl-test-${randomUUID().slice(0, 8)}`,
    retry: { retries: 0 },
    allowAutoTopicCreation: false,
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), 20000);
      consumer.on(consumer.events.CRASH, (e) => (clearTimeout(timer), resolve(refusal(e.payload.error))));
      void consumer
        .run({ eachMessage: async () => (clearTimeout(timer), resolve('ok')) })
        .catch((err) => (clearTimeout(timer), resolve(refusal(err))));
    });
  } catch (err) {
    return refusal(err);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

describe('Kafka authentication (issue 14 item 1, seed 002-43)', () => {
  it('refuses a client that does not authenticate', async () => {
    const admin = new Kafka({
      clientId: 'acl-anon',
      brokers: kafkaBrokers(),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 3000,
    }).admin();
    await expect(admin.connect().then(() => admin.listTopics())).rejects.toThrow();
    await admin.disconnect().catch(() => undefined);
  });

  it('refuses a wrong password', async () => {
    const admin = kafkaAs(PRINCIPALS.admin, { password: 'not-the-password' }).admin();
    await expect(admin.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/i);
    await admin.disconnect().catch(() => undefined);
  });
});

describe('Kafka TLS listener (issue 14 item 1, seed 002-44)', () => {
  const { brokers, caFile } = kafkaTlsEndpoint();

  it('a client that trusts the local CA connects over TLS and authenticates', async () => {
    const admin = kafkaAs(PRINCIPALS.admin, {
      brokers,
      tls: { ca: fs.readFileSync(caFile, 'utf8') },
    }).admin();
    await admin.connect();
    try {
      expect((await admin.describeCluster()).brokers.length).toBeGreaterThan(0);
    } finally {
      await admin.disconnect();
    }
  });

  it('a client that does not trust the CA is refused', async () => {
    const admin = kafkaAs(PRINCIPALS.admin, { brokers, tls: {} }).admin();
    await expect(admin.connect()).rejects.toThrow(/certificate|self.signed/i);
    await admin.disconnect().catch(() => undefined);
  });
});

describe('Kafka ACLs per service principal (issue 14 item 1, seed 002-45)', () => {
  // What must be refused is tried on the real, provisioned topics (a refused write writes nothing).
  const denied = SERVICES.flatMap((s) =>
    REAL.filter((t) => !SERVICE_RIGHTS[s].write.includes(t)).map((t) => [s, t] as const),
  );

  it.each([
    ['gateway', 'security.actions.v1'],
    ['monitor', 'auth.events.v1'],
  ] as const)('%s may not write %s', async (service, topic) => {
    expect(await produceAs(PRINCIPALS[service], topic)).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('every write the topic table does not give a service is refused on the real topics', async () => {
    expect(denied.length).toBeGreaterThan(15);
    const got = await Promise.all(
      denied.map(async ([s, t]) => [s, t, await produceAs(PRINCIPALS[s], t)] as const),
    );
    expect(got.filter(([, , r]) => r !== 'TOPIC_AUTHORIZATION_FAILED')).toEqual([]);
  });

  it('a service cannot create or delete a topic, nor change ACLs', async () => {
    const admin = kafkaAs(PRINCIPALS.monitor).admin();
    await admin.connect();
    try {
      const refused = (p: Promise<unknown>) =>
        p.then(
          () => 'allowed',
          (err: unknown) => (isAuthorizationError(err) ? 'refused' : String(err)),
        );
      expect(
        await refused(
          admin.createTopics({ topics: [{ topic: `acl.created-by-service.${randomUUID().slice(0, 8)}` }] }),
        ),
      ).toBe('refused');
      expect(await refused(admin.deleteTopics({ topics: ['security.actions.v1'] }))).toBe('refused');
      const acl = {
        principal: 'User:vigil-monitor',
        host: '*',
        resourceType: AclResourceTypes.TOPIC,
        resourceName: 'auth.events.v1',
        resourcePatternType: ResourcePatternTypes.LITERAL,
        operation: AclOperationTypes.WRITE,
        permissionType: AclPermissionTypes.ALLOW,
      };
      expect(await refused(admin.createAcls({ acl: [acl] }))).toBe('refused');
    } finally {
      await admin.disconnect();
    }
    const topics = await testKafka('acl-check').admin();
    await topics.connect();
    expect(await topics.listTopics()).toContain('security.actions.v1');
    await topics.disconnect();
  });

  it('a service cannot read a topic it does not consume (gateway on auth.events.v1, retention on security.actions.v1)', async () => {
    expect(await consumeAs(PRINCIPALS.gateway, 'auth.events.v1', 'vigil-auth-gateway')).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
    expect(await consumeAs(PRINCIPALS.retention, 'security.actions.v1', 'vigil-retention')).toMatch(
      /AUTHORIZATION_FAILED/,
    );
  });

  describe('what the table gives each service works (the same plan, applied to renamed copies of the topics)', () => {
    const prefix = `acl-${randomUUID().slice(0, 8)}.`;
    const rename = (t: string) => prefix + t;
    const plan = aclPlan({ topicName: rename }).filter(
      (a) => a.resourceType === AclResourceTypes.TOPIC && a.resourceName.startsWith(prefix),
    );
    const fixture = testKafka('acl-fixture').admin();

    beforeAll(async () => {
      await fixture.connect();
      const names = REAL.flatMap((t) => [rename(t), rename(dlqTopic(t))]);
      await fixture.createTopics({
        topics: names.map((topic) => ({ topic, numPartitions: 1 })),
        waitForLeaders: true,
      });
      await fixture.createAcls({ acl: plan });
      const seed = testKafka('acl-seed').producer();
      await seed.connect();
      await seed.send({ topic: rename('auth.events.v1'), messages: [{ value: '{}' }] });
      await seed.send({ topic: rename('security.actions.v1'), messages: [{ value: '{}' }] });
      await seed.disconnect();
    });

    afterAll(async () => {
      await fixture.deleteAcls({ filters: plan }).catch(() => undefined);
      await fixture
        .deleteTopics({ topics: REAL.flatMap((t) => [rename(t), rename(dlqTopic(t))]) })
        .catch(() => undefined);
      await fixture.disconnect();
    });

    it('each service writes every topic it produces to and the DLQs of what it consumes, and nothing else', async () => {
      const cases = SERVICES.flatMap((s) =>
        REAL.flatMap((t) => [t, dlqTopic(t)]).map((t) => [s, t] as const),
      );
      const got = await Promise.all(
        cases.map(async ([s, t]) => [s, t, await produceAs(PRINCIPALS[s], rename(t))] as const),
      );
      const allowed = got.filter(([, , r]) => r === 'ok').map(([s, t]) => `${s} ${t}`);
      const expected = SERVICES.flatMap((s) =>
        [...SERVICE_RIGHTS[s].write, ...SERVICE_RIGHTS[s].read.map(dlqTopic)].map((t) => `${s} ${t}`),
      );
      expect(allowed.sort()).toEqual([...new Set(expected)].sort());
      expect(got.filter(([, , r]) => r !== 'ok' && r !== 'TOPIC_AUTHORIZATION_FAILED')).toEqual([]);
      expect(allowed).toEqual(
        expect.arrayContaining([
          'gateway auth.events.v1',
          'monitor security.actions.v1',
          'writer audit.checkpoints.v1',
          'writer security.alerts.v1',
          'retention ops.events.v1',
        ]),
      );
    });

    it('the gateway reads security.actions.v1 and the monitor auth.events.v1 with their own groups', async () => {
      expect(await consumeAs(PRINCIPALS.gateway, rename('security.actions.v1'), 'vigil-auth-gateway')).toBe(
        'ok',
      );
      expect(await consumeAs(PRINCIPALS.monitor, rename('auth.events.v1'), 'vigil-monitor')).toBe('ok');
    });
  });

  it('provisioning declares the topic configs the services declare', () => {
    expect(BUS_TOPICS.find((t) => t.topic === CHECKPOINT_TOPIC_SPEC.topic)?.config).toEqual(
      CHECKPOINT_TOPIC_SPEC.config,
    );
    expect(BUS_TOPICS.map((t) => t.topic).sort()).toEqual([...REAL].sort());
  });

  it('a service whose topics were not provisioned stays not ready and says so, without creating them', async () => {
    const id = randomUUID().slice(0, 8);
    const topics = {
      KAFKA_TOPIC_AUTH_EVENTS: `acl-missing.${id}.auth`,
      KAFKA_TOPIC_SECURITY_ACTIONS: `acl-missing.${id}.actions`,
    };
    const gw = await startApp('auth-gateway', topics);
    try {
      await waitFor(
        () =>
          gw.logs.some((l) => l.message === 'Kafka topics missing (not ready until provisioned); retrying'),
        { timeoutMs: 30000, what: 'the topics-missing warning' },
      );
      const health = await request(gw.app.getHttpServer()).get('/health');
      expect(health.status).toBe(503);
      const admin = testKafka('acl-missing').admin();
      await admin.connect();
      expect((await admin.listTopics()).filter((t) => t.includes(id))).toEqual([]);
      await admin.disconnect();
    } finally {
      await gw.close();
    }
  });
});
