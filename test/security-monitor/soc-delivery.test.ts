// SOC delivery on the real broker and PostgreSQL (issue 19 item 4): alerts raised from real auth
// events reach the OCSF and ECS topics and an NDJSON file, schema-valid, keyed by alertId; the
// escalation webhook (seed 003-21: alerts raise incidents in the ticketing system) is signed,
// retried after 503s (Retry-After honoured) and delivered once, and what cannot be delivered (a
// receiver that keeps failing, a 400 that is not retried) is on the DLQ with the reason, the
// attempts and the alert. Neither the secret, the URL's token nor a signature reaches the logs.
import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('vigil-test');
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  alertDedupKey,
  createEvent,
  decodeEvent,
  sevOf,
  verifyWebhookSignature,
  type OcsfDetectionFinding,
} from '@vigil/contracts';
import { ecsProblems, ocsfProblems } from '@vigil/contracts/testing';
import { EventProducer, type KafkaRecord } from '@vigil/kafka';
import { createTopics, kafkaBrokers, testKafka, uniqueTopic, waitFor } from '@vigil/testing';
import {
  bootMonitor,
  clock,
  collect,
  failed,
  monitorFixture,
  ofRule,
  type AlertEvent,
  type Collector,
  type MonitorApp,
} from './support';

interface Hit {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** Every record of a topic as it arrives (raw: the SOC topics carry OCSF / ECS JSON, not Vigil events). */
async function rawCollect(topic: string) {
  const consumer = testKafka('vigil-test-soc').consumer({ groupId: `test-soc-${uniqueTopic('g')}` });
  const got: KafkaRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message as KafkaRecord) });
  return { records: got, stop: () => consumer.disconnect() };
}

const header = (r: KafkaRecord, name: string) => r.headers?.[name]?.toString();

/** Runs one of the monitor's CLIs from source, as an operator would. */
function runMonitorCli(
  cli: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', './tools/ts-register.js', `apps/security-monitor/src/${cli}`, ...args],
      {
        cwd: path.resolve(__dirname, '../..'),
        env: { PATH: process.env.PATH, KAFKA_BROKERS: kafkaBrokers().join(','), ...env },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('security-monitor SOC delivery (issue 19 item 4)', () => {
  let fx: Awaited<ReturnType<typeof monitorFixture>>;
  let t: MonitorApp;
  let producer: EventProducer;
  let alerts: Collector<AlertEvent>;
  let server: Server;
  let ocsf: Awaited<ReturnType<typeof rawCollect>>;
  let ecs: Awaited<ReturnType<typeof rawCollect>>;
  let dlq: Awaited<ReturnType<typeof rawCollect>>;
  const hits = new Map<string, Hit[]>();
  const secret = randomBytes(32).toString('base64url');
  const token = randomBytes(12).toString('hex');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-soc-'));
  const ocsfFile = path.join(dir, 'ocsf.ndjson');
  const at = clock();
  const CRITICAL = 'failed-logins-per-user-1m-critical';
  const user = { retry: 'soc.retry@example.com', down: 'soc.down@example.com', bad: 'soc.bad@example.com' };
  const alertIdOf = (u: string) => alertDedupKey(CRITICAL, 'user', u);
  // What the receiver answers each alert, attempt by attempt (the last answer repeats).
  const script: Record<string, Array<{ status: number; retryAfter?: string }>> = {
    [alertIdOf(user.retry)]: [{ status: 503 }, { status: 503, retryAfter: '1' }, { status: 202 }],
    [alertIdOf(user.down)]: [{ status: 503 }],
    [alertIdOf(user.bad)]: [{ status: 400 }],
  };
  let topics: { ocsf: string; ecs: string; dlq: string };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const alertId = String(req.headers['x-vigil-alert-id']);
        const list = hits.get(alertId) ?? [];
        const answers = script[alertId] ?? [{ status: 200 }];
        const answer = answers[Math.min(list.length, answers.length - 1)];
        const ok = req.url === `/hooks/${token}`;
        list.push({
          at: Date.now(),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          status: ok ? answer.status : 404,
        });
        hits.set(alertId, list);
        res.writeHead(
          ok ? answer.status : 404,
          answer.retryAfter ? { 'retry-after': answer.retryAfter } : {},
        );
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;

    fx = await monitorFixture('soc');
    topics = {
      ocsf: uniqueTopic('soc.ocsf'),
      ecs: uniqueTopic('soc.ecs'),
      dlq: uniqueTopic('soc.webhook-dlq'),
    };
    await createTopics([topics.ocsf, topics.ecs, topics.dlq], 1);
    const secretFile = path.join(dir, 'webhook.secret');
    writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
    t = await bootMonitor(fx, {
      MONITOR_SINKS: `ocsf-topic,ecs-topic,ocsf-file:${ocsfFile}`,
      MONITOR_OCSF_TOPIC: topics.ocsf,
      MONITOR_ECS_TOPIC: topics.ecs,
      MONITOR_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/${token}`,
      MONITOR_WEBHOOK_SECRET_FILE: secretFile,
      MONITOR_WEBHOOK_FORMAT: 'ocsf',
      MONITOR_WEBHOOK_STATUSES: 'firing',
      MONITOR_WEBHOOK_MAX_ATTEMPTS: '3',
      MONITOR_WEBHOOK_BACKOFF_MS: '50',
      MONITOR_WEBHOOK_BACKOFF_MAX_MS: '200',
      MONITOR_WEBHOOK_DLQ_TOPIC: topics.dlq,
    });
    producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer connected' });
    alerts = await collect(fx.alerts);
    ocsf = await rawCollect(topics.ocsf);
    ecs = await rawCollect(topics.ecs);
    dlq = await rawCollect(topics.dlq);
    // Eleven failures in a minute per account: the critical rule (and the medium warning) fire.
    const events = Object.values(user).flatMap((u, n) =>
      Array.from({ length: 11 }, (_, i) => failed(at(n * 5 + i), u, `203.0.113.${20 + n}`)),
    );
    await producer.publish(fx.input, events);
  });

  afterAll(async () => {
    await Promise.all([alerts?.stop(), ocsf?.stop(), ecs?.stop(), dlq?.stop()]);
    await t?.close();
    await fx?.db.drop();
    await new Promise((r) => server?.close(r));
  });

  it('seed 003-02: alerts raised from real events are on the OCSF and ECS topics and in the OCSF file, schema-valid, keyed by alertId', async () => {
    const firing = () => ofRule(alerts.events, CRITICAL).filter((a) => a.attributes.status === 'firing');
    await waitFor(() => firing().length === 3, { what: 'three critical alerts', timeoutMs: 60000 });
    const published = alerts.events;
    await waitFor(() => ocsf.records.length >= published.length && ecs.records.length >= published.length, {
      what: 'every alert transition on the OCSF and ECS topics',
      timeoutMs: 30000,
    });
    for (const r of ocsf.records) {
      const doc = JSON.parse(r.value!.toString()) as OcsfDetectionFinding;
      expect(ocsfProblems(doc)).toEqual([]);
      expect(r.key!.toString()).toBe(doc.finding_info.uid);
      const source = published.find((e) => e.id === doc.metadata.uid)!;
      expect(source).toBeDefined();
      expect(doc.finding_info.uid).toBe(source.attributes.alertId);
      expect(header(r, 'vigil-event-id')).toBe(source.id);
    }
    for (const r of ecs.records) {
      const doc = JSON.parse(r.value!.toString());
      expect(ecsProblems(doc)).toEqual([]);
      expect(r.key!.toString()).toBe(doc.labels.alert_id);
      expect(published.map((e) => e.id)).toContain(doc.event.id);
    }
    const critical = ocsf.records
      .map((r) => JSON.parse(r.value!.toString()) as OcsfDetectionFinding)
      .find((d) => d.finding_info.uid === alertIdOf(user.retry) && d.activity_id === 1)!;
    expect(critical).toMatchObject({
      class_uid: 2004,
      type_uid: 200401,
      severity_id: 5,
      status_id: 1,
      evidences: [{ actor: { user: { name: user.retry } } }],
      finding_info: {
        analytic: { uid: CRITICAL, type_id: 1 },
        attacks: [{ tactic: { uid: 'TA0006' }, technique: { uid: 'T1110' } }],
      },
    });
    await waitFor(
      () =>
        existsSync(ocsfFile) && readFileSync(ocsfFile, 'utf8').trim().split('\n').length >= published.length,
      {
        what: 'the OCSF file to hold every transition',
      },
    );
    const lines = readFileSync(ocsfFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const l of lines) expect(ocsfProblems(l)).toEqual([]);
    expect(new Set(lines.map((l) => l.metadata.uid))).toEqual(new Set(published.map((e) => e.id)));
    const health = await request(t.app.getHttpServer()).get('/health');
    expect(health.body.checks['soc-delivery']).toMatchObject({ ok: true });
  });

  it('seed 003-21 / 003-25: the escalation is signed, retried after 503s (Retry-After honoured) and delivered once', async () => {
    const id = alertIdOf(user.retry);
    await waitFor(() => hits.get(id)?.some((h) => h.status === 202), {
      what: 'the delivery after two 503s',
      timeoutMs: 30000,
    });
    const got = hits.get(id)!;
    expect(got.map((h) => h.status)).toEqual([503, 503, 202]);
    expect(got[2].at - got[1].at).toBeGreaterThanOrEqual(950); // Retry-After: 1
    for (const h of got) {
      const v = verifyWebhookSignature(secret, String(h.headers['x-vigil-signature']), h.body);
      expect(v).toMatchObject({ ok: true });
      expect(
        verifyWebhookSignature(
          'another-secret-of-at-least-32-bytes!!',
          String(h.headers['x-vigil-signature']),
          h.body,
        ),
      ).toMatchObject({ ok: false, reason: 'signature mismatch' });
      expect(
        verifyWebhookSignature(secret, String(h.headers['x-vigil-signature']), `${h.body} `),
      ).toMatchObject({ ok: false });
      expect(h.headers['content-type']).toBe('application/json');
    }
    const body = JSON.parse(got[2].body) as OcsfDetectionFinding;
    expect(ocsfProblems(body)).toEqual([]);
    expect(body.finding_info.uid).toBe(id);
    expect(got.map((h) => h.headers['x-vigil-event-id'])).toEqual(Array(3).fill(body.metadata.uid));
    expect(got.map((h) => h.headers['x-vigil-delivery-attempt'])).toEqual(['1', '2', '3']);
    // An old signature is refused by the recipe in the README (replay protection).
    const stale = verifyWebhookSignature(secret, String(got[2].headers['x-vigil-signature']), got[2].body, {
      nowSeconds: Math.floor(got[2].at / 1000) + 301,
    });
    expect(stale).toEqual({ ok: false, reason: 'timestamp outside the tolerance' });
    // The medium warning is below MONITOR_WEBHOOK_MIN_SEVERITY (high): never escalated.
    expect(hits.get(alertDedupKey('failed-logins-per-user-1m-warning', 'user', user.retry))).toBeUndefined();
  });

  it('seed 003-21: a receiver that keeps failing, and a 400 (not retried), leave the alert on the webhook DLQ with the reason and attempts', async () => {
    await waitFor(() => dlq.records.length >= 2, { what: 'two dead letters', timeoutMs: 30000 });
    const byAlert = new Map(dlq.records.map((r) => [r.key!.toString(), r]));
    const down = byAlert.get(alertIdOf(user.down))!;
    expect(header(down, 'dlq-reason')).toBe('retries_exhausted');
    expect(header(down, 'dlq-attempts')).toBe('3');
    expect(header(down, 'dlq-webhook-status')).toBe('503');
    expect(header(down, 'dlq-webhook-format')).toBe('ocsf');
    expect(header(down, 'dlq-original-topic')).toBe(fx.alerts);
    expect(hits.get(alertIdOf(user.down))!.map((h) => h.status)).toEqual([503, 503, 503]);
    const bad = byAlert.get(alertIdOf(user.bad))!;
    expect(header(bad, 'dlq-reason')).toBe('rejected');
    expect(header(bad, 'dlq-attempts')).toBe('1');
    expect(header(bad, 'dlq-webhook-status')).toBe('400');
    expect(hits.get(alertIdOf(user.bad))!.map((h) => h.status)).toEqual([400]);
    // The payload is the SECURITY_ALERT itself, as published: replayable.
    for (const r of [down, bad]) {
      const d = decodeEvent(r.value);
      expect(d.ok).toBe(true);
      const e = (d as { event: AlertEvent }).event;
      expect(e.type).toBe('SECURITY_ALERT');
      expect(alerts.events.map((a) => a.id)).toContain(e.id);
      for (const v of Object.values(r.headers ?? {})) expect(String(v)).not.toContain(token);
    }
    expect(dlq.records).toHaveLength(2);
    const health = await request(t.app.getHttpServer()).get('/health');
    expect(health.body.checks['soc-delivery']).toMatchObject({ ok: true, degraded: true });
  });

  it('seed 003-02: npm run monitor:alerts -- --format ocsf|ecs prints the same schema-valid records from the alerts topic (a SIEM backfill)', async () => {
    const env = { MONITOR_ALERTS_TOPIC: fx.alerts };
    const o = await runMonitorCli('alerts/alerts.cli.ts', ['--format', 'ocsf', '--rule', CRITICAL], env);
    expect(o.code).toBe(0);
    const lines = o.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as OcsfDetectionFinding);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(ocsfProblems(l)).toEqual([]);
    expect(lines.map((l) => l.finding_info.analytic.uid)).toEqual(Array(lines.length).fill(CRITICAL));
    expect(lines[0].finding_info.title).toBe('More than 10 failed logins per minute for a single user');
    const e = await runMonitorCli('alerts/alerts.cli.ts', ['--format', 'ecs', '--severity', 'critical'], env);
    expect(e.code).toBe(0);
    for (const l of e.out.trim().split('\n')) expect(ecsProblems(JSON.parse(l))).toEqual([]);
    const bad = await runMonitorCli('alerts/alerts.cli.ts', ['--format', 'cef'], env);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--format cef: one of json, ocsf, ecs');
  });

  it('seed 003-21: npm run monitor:webhook-replay resends the dead letters, signed, with their original event ids', async () => {
    // The receiver is back: the escalations that failed are accepted now.
    script[alertIdOf(user.down)] = [{ status: 200 }];
    script[alertIdOf(user.bad)] = [{ status: 200 }];
    const before = {
      down: hits.get(alertIdOf(user.down))!.length,
      bad: hits.get(alertIdOf(user.bad))!.length,
    };
    const env = {
      MONITOR_WEBHOOK_URL: t.config.webhookUrl!,
      MONITOR_WEBHOOK_SECRET: secret,
      MONITOR_WEBHOOK_FORMAT: 'ocsf',
      MONITOR_WEBHOOK_DLQ_TOPIC: topics.dlq,
      MONITOR_ALERTS_TOPIC: fx.alerts,
    };
    const dry = await runMonitorCli('soc/webhook-replay.cli.ts', ['--dry-run', '--reason', 'rejected'], env);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('1 escalation(s) selected: 0 delivered, 0 failed again (dry run)');
    const r = await runMonitorCli('soc/webhook-replay.cli.ts', [], env);
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 escalation(s) selected: 2 delivered, 0 failed again');
    expect(`${r.out}${r.err}`).not.toContain(token);
    expect(`${r.out}${r.err}`).not.toContain(secret);
    for (const u of [user.down, user.bad]) {
      const list = hits.get(alertIdOf(u))!;
      const resent = list[list.length - 1];
      expect(list.length).toBe(before[u === user.down ? 'down' : 'bad'] + 1);
      expect(resent.status).toBe(200);
      expect(
        verifyWebhookSignature(secret, String(resent.headers['x-vigil-signature']), resent.body),
      ).toMatchObject({ ok: true });
      expect(resent.headers['x-vigil-event-id']).toBe(list[0].headers['x-vigil-event-id']);
      expect(ocsfProblems(JSON.parse(resent.body))).toEqual([]);
    }
  });

  it("seed 000-30: another service's alert on the topic (the audit-writer's chain regression) reaches the SOC topics and the webhook too", async () => {
    const chainAlert = createEvent('SECURITY_ALERT', {
      producer: 'audit-writer',
      outcome: 'failure',
      reason: 'chain_regression',
      occurredAt: new Date(),
      attributes: {
        alertId: alertDedupKey('audit-chain-regression', 'chain', 'auth.events.v1:0'),
        ruleId: 'audit-chain-regression',
        ruleVersion: 1,
        status: 'firing',
        severity: 'critical',
        sev: sevOf('critical'),
        firstSeen: new Date().toISOString(),
        lastSeen: new Date().toISOString(),
        count: 1,
        key: { kind: 'chain', value: 'auth.events.v1:0' },
        sampleEventIds: [],
        mitre: ['TA0005', 'T1070', 'T1565.001'],
        summary: 'audit chain auth.events.v1:0: head at position 3 is below its last signed checkpoint at 9',
      },
    });
    const onOcsf = () =>
      ocsf.records
        .map((r) => JSON.parse(r.value!.toString()) as OcsfDetectionFinding)
        .find((d) => d.metadata.uid === chainAlert.id);
    // The read-back consumer starts at the topic's end once it has joined: publish (the same event) until it is seen.
    await waitFor(
      async () => {
        if (onOcsf()) return true;
        await producer.publish(fx.alerts, [chainAlert]);
        return false;
      },
      { what: "the writer's alert on the OCSF topic", timeoutMs: 60000, intervalMs: 2000 },
    );
    const doc = onOcsf()!;
    expect(ocsfProblems(doc)).toEqual([]);
    expect(doc).toMatchObject({
      severity_id: 5,
      finding_info: {
        uid: chainAlert.attributes.alertId,
        attacks: [
          {
            tactic: { uid: 'TA0005', name: 'Defense Evasion' },
            technique: { uid: 'T1070', name: 'Indicator Removal' },
          },
          { tactic: { uid: 'TA0005' }, technique: { uid: 'T1565' }, sub_technique: { uid: 'T1565.001' } },
        ],
      },
      observables: [{ type: 'vigil:chain', value: 'auth.events.v1:0' }],
    });
    await waitFor(() => ecs.records.some((r) => header(r, 'vigil-event-id') === chainAlert.id), {
      what: "the writer's alert on the ECS topic",
    });
    await waitFor(() => hits.get(chainAlert.attributes.alertId)?.some((h) => h.status === 200), {
      what: "the writer's alert escalated",
    });
    // The monitor's own alerts are not read back (they went out once, from the publisher).
    const ids = ocsf.records.map((r) => header(r, 'vigil-event-id'));
    const own = alerts.events.filter((e) => e.producer === 'security-monitor').map((e) => e.id);
    for (const id of own) expect(ids.filter((x) => x === id)).toHaveLength(1);
  });

  it('the secret, the URL token and the signatures never reach the logs', () => {
    const logs = t.rawLogs.join('');
    expect(logs).toContain('escalation webhook delivered');
    expect(logs).toContain('escalation webhook failed; dead-lettered');
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain(token);
    for (const list of hits.values())
      for (const h of list)
        expect(logs).not.toContain(String(h.headers['x-vigil-signature']).split('v1=')[1]);
  });
});

describe('security-monitor SOC delivery when a sink fails (issue 19 item 4)', () => {
  let fx: Awaited<ReturnType<typeof monitorFixture>>;
  let t: MonitorApp;
  let alerts: Collector<AlertEvent>;
  const at = clock();
  const missingTopic = uniqueTopic('soc.ocsf-missing');
  const missingDir = path.join(os.tmpdir(), `vigil-soc-missing-${randomBytes(4).toString('hex')}`);

  beforeAll(async () => {
    fx = await monitorFixture('soc-broken');
    t = await bootMonitor(fx, {
      MONITOR_SINKS: `ocsf-topic,ecs-file:${missingDir}/ecs.ndjson`,
      MONITOR_OCSF_TOPIC: missingTopic,
    });
    const producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer connected' });
    alerts = await collect(fx.alerts);
    await producer.publish(
      fx.input,
      Array.from({ length: 11 }, (_, i) => failed(at(i), 'soc.sink-down@example.com')),
    );
  });

  afterAll(async () => {
    await alerts?.stop();
    await t?.close();
    await fx?.db.drop();
  });

  it('seed 003-02: the alerts topic is unaffected, /health says which sink fails, and the sink catches up once it can (nothing lost)', async () => {
    await waitFor(() => ofRule(alerts.events, 'failed-logins-per-user-1m-critical').length > 0, {
      what: 'the critical alert on the alerts topic despite both sinks failing',
      timeoutMs: 60000,
    });
    const http = () => request(t.app.getHttpServer());
    await waitFor(
      async () => {
        const h = await http().get('/health');
        const c = h.body.checks['soc-delivery'];
        return (
          c?.degraded === true &&
          /ocsf-topic failing since/.test(c.detail) &&
          /ecs-file:.* failing since/.test(c.detail)
        );
      },
      { what: 'soc-delivery degraded naming both sinks', timeoutMs: 60000 },
    );
    const health = await http().get('/health');
    expect(health.body.ready).toBe(true); // degraded, not down: detection goes on
    // The operator fixes both: the topic is provisioned, the directory exists.
    await createTopics([missingTopic], 1);
    mkdirSync(missingDir, { recursive: true });
    const ocsf = await rawCollect(missingTopic);
    try {
      await waitFor(() => ocsf.records.length >= alerts.events.length, {
        what: 'the OCSF sink to catch up',
        timeoutMs: 90000,
      });
      await waitFor(
        () =>
          existsSync(`${missingDir}/ecs.ndjson`) &&
          readFileSync(`${missingDir}/ecs.ndjson`, 'utf8').trim().split('\n').length >= alerts.events.length,
        { what: 'the ECS file sink to catch up', timeoutMs: 90000 },
      );
      expect(new Set(ocsf.records.map((r) => header(r, 'vigil-event-id')))).toEqual(
        new Set(alerts.events.map((e) => e.id)),
      );
      await waitFor(async () => !(await http().get('/health')).body.checks['soc-delivery'].degraded, {
        what: 'soc-delivery healthy again',
      });
    } finally {
      await ocsf.stop();
    }
  });
});
