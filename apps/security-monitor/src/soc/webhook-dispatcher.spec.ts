import {
  createEvent,
  sevOf,
  verifyWebhookSignature,
  webhookSignatureHeader,
  type AlertEventEnvelope,
  type Severity,
} from '@vigil/contracts';
import { createLogger } from '@vigil/telemetry';
import winston from 'winston';
import { Writable } from 'node:stream';
import { describeSecurityMonitorConfig, loadSecurityMonitorConfig } from '../config';
import {
  backoffDelay,
  retryAfterMs,
  WebhookDispatcher,
  type DeadLetter,
  type WebhookOptions,
} from './webhook-dispatcher';
import { parseSinks, SinkRunner, type SocRecord } from './soc-sinks';

const SECRET = 'k'.repeat(40);
const URL_WITH_TOKEN = 'https://hooks.example.com/services/T0K3N-SECRET-PATH';

function alert(
  severity: Severity,
  status: 'firing' | 'updated' | 'resolved' = 'firing',
  n = 1,
): AlertEventEnvelope {
  return createEvent('SECURITY_ALERT', {
    producer: 'security-monitor',
    occurredAt: '2025-01-15T09:30:00.000Z',
    outcome: 'success',
    attributes: {
      alertId: n.toString(16).padStart(64, '0'),
      ruleId: 'failed-logins-per-user-1m-critical',
      ruleVersion: 1,
      status,
      severity,
      sev: sevOf(severity),
      firstSeen: '2025-01-15T09:29:00.000Z',
      lastSeen: '2025-01-15T09:29:50.000Z',
      count: 11,
      key: { kind: 'user', value: 'mallory@example.com' },
      sampleEventIds: [],
      mitre: ['TA0006', 'T1110'],
      summary: 'firing: failed-logins-per-user-1m-critical on user mallory@example.com: 11 events',
    },
  }) as AlertEventEnvelope;
}

function captureLogger() {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'spec',
    level: 'debug',
    transports: [
      new winston.transports.Stream({
        stream: new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }),
      }),
    ],
  });
  return { logger, lines };
}

interface Call {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A receiver answering from a script (the last answer repeats); a thrown answer is a network error. */
function receiver(answers: Array<number | { status: number; retryAfter?: string } | Error>) {
  const calls: Call[] = [];
  const fetchFn = (async (url: string, init: RequestInit) => {
    calls.push({ url, headers: init.headers as Record<string, string>, body: String(init.body) });
    const a = answers[Math.min(calls.length - 1, answers.length - 1)];
    if (a instanceof Error) throw a;
    const { status, retryAfter } = typeof a === 'number' ? { status: a, retryAfter: undefined } : a;
    return new Response(null, { status, headers: retryAfter ? { 'retry-after': retryAfter } : {} });
  }) as unknown as typeof fetch;
  return { calls, fetchFn };
}

function dispatcher(over: Partial<WebhookOptions> & Pick<WebhookOptions, 'fetch'>) {
  const dead: DeadLetter[] = [];
  const sleeps: number[] = [];
  const { logger, lines } = captureLogger();
  const d = new WebhookDispatcher({
    url: URL_WITH_TOKEN,
    secret: SECRET,
    format: 'json',
    minSeverity: 'high',
    statuses: ['firing', 'resolved'],
    maxAttempts: 5,
    maxElapsedMs: 600_000,
    backoffMs: 1000,
    backoffMaxMs: 8000,
    timeoutMs: 1000,
    queueMax: 10,
    concurrency: 2,
    ctx: { productVersion: 'spec' },
    logger,
    deadLetter: async (x) => void dead.push(x),
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 1,
    ...over,
  });
  const idle = async () => {
    for (let i = 0; i < 200 && (d.status.queued > 0 || d.status.inFlight > 0); i++)
      await new Promise((r) => setImmediate(r));
  };
  return { d, dead, sleeps, lines, idle };
}

describe('escalation webhook (issue 19 item 4, seed 003-21)', () => {
  it('escalates only at or above the minimum severity and for the configured statuses', async () => {
    const r = receiver([200]);
    const { d, idle } = dispatcher({ fetch: r.fetchFn });
    d.offer([
      alert('critical'),
      alert('high', 'resolved', 2),
      alert('medium', 'firing', 3),
      alert('critical', 'updated', 4),
    ]);
    await idle();
    expect(r.calls.map((c) => c.headers['x-vigil-alert-id'].slice(-1))).toEqual(['1', '2']);
  });

  it('signs every attempt: t=<unix>,v1=<HMAC-SHA256 of "t.body">, verifiable by the README recipe', async () => {
    const r = receiver([503, 200]);
    const { d, idle } = dispatcher({ fetch: r.fetchFn });
    d.offer([alert('critical')]);
    await idle();
    expect(r.calls).toHaveLength(2);
    for (const c of r.calls) {
      expect(c.headers['x-vigil-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhookSignature(SECRET, c.headers['x-vigil-signature'], c.body)).toMatchObject({
        ok: true,
      });
      expect(JSON.parse(c.body).attributes.alertId).toBe(c.headers['x-vigil-alert-id']);
    }
    const t = Math.floor(Date.now() / 1000);
    expect(verifyWebhookSignature(SECRET, webhookSignatureHeader(SECRET, t - 301, 'x'), 'x')).toEqual({
      ok: false,
      reason: 'timestamp outside the tolerance',
    });
    expect(verifyWebhookSignature(SECRET, undefined, 'x')).toEqual({
      ok: false,
      reason: 'missing signature header',
    });
    expect(verifyWebhookSignature(SECRET, `t=${t},v1=zz`, 'x')).toMatchObject({ ok: false });
    // Rotation: two v1 entries, either matches.
    const both = `${webhookSignatureHeader('o'.repeat(40), t, 'x')},v1=${webhookSignatureHeader(SECRET, t, 'x').split('v1=')[1]}`;
    expect(verifyWebhookSignature(SECRET, both, 'x')).toMatchObject({ ok: true });
  });

  it('retries 5xx, 408, 429 and network errors with capped exponential backoff, honouring Retry-After on 429/503', async () => {
    const r = receiver([500, 408, { status: 429, retryAfter: '7' }, new TypeError('fetch failed'), 201]);
    const { d, dead, sleeps, idle } = dispatcher({ fetch: r.fetchFn });
    d.offer([alert('critical')]);
    await idle();
    expect(r.calls.map((c) => c.headers['x-vigil-delivery-attempt'])).toEqual(['1', '2', '3', '4', '5']);
    expect(sleeps).toEqual([1000, 2000, 7000, 8000]); // random()=1: the full ceiling; Retry-After: 7 s; the cap
    expect(dead).toEqual([]);
    expect(d.status).toMatchObject({
      consecutiveFailures: 0,
      recentDeadLetters: 0,
      lastOutcome: { outcome: 'delivered', status: 201 },
    });
  });

  it('does not retry another 4xx or a redirect: dead-lettered at once with the status', async () => {
    for (const status of [400, 401, 404, 410, 302]) {
      const r = receiver([status]);
      const { d, dead, idle } = dispatcher({ fetch: r.fetchFn });
      d.offer([alert('critical')]);
      await idle();
      expect(r.calls).toHaveLength(1);
      expect(dead).toEqual([
        expect.objectContaining({ reason: 'rejected', attempts: 1, lastStatus: status }),
      ]);
    }
  });

  it('gives up after MONITOR_WEBHOOK_MAX_ATTEMPTS, or when a wait would pass the time budget', async () => {
    const r = receiver([503]);
    const a = dispatcher({ fetch: r.fetchFn, maxAttempts: 3 });
    a.d.offer([alert('critical')]);
    await a.idle();
    expect(r.calls).toHaveLength(3);
    expect(a.dead).toEqual([
      expect.objectContaining({ reason: 'retries_exhausted', attempts: 3, lastStatus: 503, format: 'json' }),
    ]);
    expect(a.dead[0].event.id).toBe(JSON.parse(r.calls[0].body).id);
    expect(a.d.status.recentDeadLetters).toBe(1);
    const slow = receiver([{ status: 503, retryAfter: '3600' }]);
    const b = dispatcher({ fetch: slow.fetchFn, maxElapsedMs: 60_000 });
    b.d.offer([alert('critical')]);
    await b.idle();
    expect(slow.calls).toHaveLength(1);
    expect(b.dead).toEqual([expect.objectContaining({ reason: 'deadline_exceeded', attempts: 1 })]);
  });

  it('a full queue dead-letters the newcomer (queue_full) instead of blocking or dropping it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fetchFn = (async () => (
      await gate,
      new Response(null, { status: 200 })
    )) as unknown as typeof fetch;
    const { d, dead, idle } = dispatcher({ fetch: fetchFn, queueMax: 2, concurrency: 1 });
    d.offer([1, 2, 3, 4, 5].map((n) => alert('critical', 'firing', n)));
    expect(d.status).toMatchObject({ inFlight: 1, queued: 2 });
    await new Promise((r) => setImmediate(r));
    expect(dead.map((x) => [x.reason, x.event.attributes.alertId.slice(-1)])).toEqual([
      ['queue_full', '4'],
      ['queue_full', '5'],
    ]);
    release();
    await idle();
    expect(dead).toHaveLength(2);
  });

  it("keeps one alert's transitions in order: its resolved waits while its firing is retried", async () => {
    const r = receiver([503, 200]);
    const { d, idle } = dispatcher({ fetch: r.fetchFn, concurrency: 4 });
    d.offer([
      alert('critical', 'firing', 1),
      alert('critical', 'resolved', 1),
      alert('critical', 'firing', 2),
    ]);
    await idle();
    const order = r.calls.map(
      (c) => `${c.headers['x-vigil-alert-id'].slice(-1)}:${JSON.parse(c.body).attributes.status}`,
    );
    expect(order.filter((o) => o.startsWith('1:'))).toEqual(['1:firing', '1:firing', '1:resolved']);
    expect(order).toContain('2:firing');
  });

  it('stop() dead-letters what was not delivered (reason shutdown), so a restart loses nothing', async () => {
    const fetchFn = ((_u: string, init: RequestInit) =>
      new Promise((_r, reject) =>
        init.signal!.addEventListener('abort', () => reject(new Error('aborted'))),
      )) as unknown as typeof fetch;
    const { d, dead } = dispatcher({ fetch: fetchFn, concurrency: 1 });
    d.offer([1, 2, 3].map((n) => alert('critical', 'firing', n)));
    await d.stop(10);
    expect(dead.map((x) => x.reason).sort()).toEqual(['shutdown', 'shutdown', 'shutdown']);
  });

  it('never logs the URL (its token) or the secret or a signature', async () => {
    const r = receiver([503, 400]);
    const { d, lines, idle } = dispatcher({ fetch: r.fetchFn });
    d.offer([alert('critical')]);
    await idle();
    const logs = lines.join('');
    expect(logs).toContain('escalation webhook failed; dead-lettered');
    expect(logs).not.toContain('T0K3N-SECRET-PATH');
    expect(logs).not.toContain('hooks.example.com');
    expect(logs).not.toContain(SECRET);
    for (const c of r.calls) expect(logs).not.toContain(c.headers['x-vigil-signature'].split('v1=')[1]);
  });

  it('reads Retry-After as seconds or an HTTP date; backoff doubles to its cap with full jitter', () => {
    const now = Date.parse('2025-01-15T09:00:00Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Wed, 15 Jan 2025 09:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect([1, 2, 3, 4, 5, 40].map((n) => backoffDelay(n, 500, 4000, () => 1))).toEqual([
      500, 1000, 2000, 4000, 4000, 4000,
    ]);
    expect(backoffDelay(3, 500, 4000, () => 0.25)).toBe(500);
  });
});

describe('SOC sinks (issue 19 item 4)', () => {
  it('parses MONITOR_SINKS and names a bad or duplicate item', () => {
    expect(parseSinks(['ocsf-topic', 'ecs-file:/var/log/vigil/ecs.ndjson'])).toEqual([
      { name: 'ocsf-topic', format: 'ocsf', kind: 'topic' },
      {
        name: 'ecs-file:/var/log/vigil/ecs.ndjson',
        format: 'ecs',
        kind: 'file',
        path: '/var/log/vigil/ecs.ndjson',
      },
    ]);
    expect(() => parseSinks(['ocsf-topic', 'ocsf-topic'])).toThrow(
      'MONITOR_SINKS: ocsf-topic is listed twice',
    );
    expect(() => parseSinks(['ocsf-file'])).toThrow(/is not ocsf-topic/);
    expect(() => loadSecurityMonitorConfig({ MONITOR_SINKS: 'ocsf-topic,splunk' })).toThrow(
      'MONITOR_SINKS has invalid items: splunk',
    );
  });

  const rec = (n: number): SocRecord => ({ alertId: `a${n}`, eventId: `e${n}`, body: `{"n":${n}}` });

  it('a failing sink keeps its records and retries with backoff, reports failing, then recovers in order', async () => {
    const written: string[] = [];
    let fail = 2;
    const sleeps: number[] = [];
    const { logger } = captureLogger();
    const s = new SinkRunner(
      { name: 'ocsf-topic', format: 'ocsf', kind: 'topic' },
      {
        write: async (records) => {
          if (fail-- > 0) throw new Error('UNKNOWN_TOPIC_OR_PARTITION');
          written.push(...records.map((r) => r.alertId));
        },
      },
      { queueMax: 100, logger, backoffMs: 100, backoffMaxMs: 150, sleep: async (ms) => void sleeps.push(ms) },
    );
    s.offer([rec(1), rec(2)]);
    await new Promise((r) => setImmediate(r));
    s.offer([rec(3)]);
    for (let i = 0; i < 50 && s.status.queued; i++) await new Promise((r) => setImmediate(r));
    expect(written).toEqual(['a1', 'a2', 'a3']);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeLessThanOrEqual(150);
    expect(s.status).toEqual({ sink: 'ocsf-topic', queued: 0, dropped: 0 });
  });

  it('beyond MONITOR_SINK_QUEUE_MAX the oldest records are dropped and counted, never blocking the caller', async () => {
    const { logger } = captureLogger();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const written: string[] = [];
    const s = new SinkRunner(
      { name: 'ecs-file:/x', format: 'ecs', kind: 'file', path: '/x' },
      { write: async (records) => (await gate, void written.push(...records.map((r) => r.alertId))) },
      { queueMax: 3, logger, batchMax: 1 },
    );
    s.offer([rec(1)]); // in flight
    s.offer([2, 3, 4, 5, 6].map(rec));
    expect(s.status).toMatchObject({ queued: 3, dropped: 2 });
    release();
    for (let i = 0; i < 50 && s.status.queued; i++) await new Promise((r) => setImmediate(r));
    expect(written).toEqual(['a1', 'a4', 'a5', 'a6']);
  });
});

describe('SOC delivery configuration', () => {
  it('a webhook needs its secret (at least 32 bytes), https in production, and sane backoff; defaults are high / json / firing,resolved', () => {
    expect(() => loadSecurityMonitorConfig({ MONITOR_WEBHOOK_URL: 'http://127.0.0.1:9/h' })).toThrow(
      /MONITOR_WEBHOOK_SECRET_FILE is required with MONITOR_WEBHOOK_URL/,
    );
    expect(() =>
      loadSecurityMonitorConfig({
        MONITOR_WEBHOOK_URL: 'http://127.0.0.1:9/h',
        MONITOR_WEBHOOK_SECRET: 'short',
      }),
    ).toThrow(/at least 32 bytes/);
    expect(() =>
      loadSecurityMonitorConfig({
        MONITOR_WEBHOOK_URL: 'http://127.0.0.1:9/h',
        MONITOR_WEBHOOK_SECRET: SECRET,
        MONITOR_WEBHOOK_BACKOFF_MS: '5000',
        MONITOR_WEBHOOK_BACKOFF_MAX_MS: '1000',
      }),
    ).toThrow(/MONITOR_WEBHOOK_BACKOFF_MAX_MS must be >= MONITOR_WEBHOOK_BACKOFF_MS/);
    expect(() =>
      loadSecurityMonitorConfig({ MONITOR_WEBHOOK_URL: 'ftp://x/y', MONITOR_WEBHOOK_SECRET: SECRET }),
    ).toThrow(/MONITOR_WEBHOOK_URL must use https or http/);
    expect(() => loadSecurityMonitorConfig({ MONITOR_WEBHOOK_FORMAT: 'cef' })).toThrow(
      /MONITOR_WEBHOOK_FORMAT must be one of json, ocsf, ecs/,
    );
    const c = loadSecurityMonitorConfig({
      MONITOR_WEBHOOK_URL: URL_WITH_TOKEN,
      MONITOR_WEBHOOK_SECRET: SECRET,
    });
    // The start-up configuration dump shows neither the URL (its token) nor the secret.
    const dump = JSON.stringify(describeSecurityMonitorConfig(c));
    expect(dump).not.toContain('T0K3N');
    expect(dump).not.toContain(SECRET);
    expect(describeSecurityMonitorConfig(c)).toMatchObject({
      MONITOR_WEBHOOK_URL: '[REDACTED]',
      MONITOR_WEBHOOK_SECRET: '[REDACTED]',
    });
    expect(c).toMatchObject({
      webhookMinSeverity: 'high',
      webhookFormat: 'json',
      webhookStatuses: ['firing', 'resolved'],
      sinks: [],
      ocsfTopic: 'security.alerts.ocsf.v1',
      ecsTopic: 'security.alerts.ecs.v1',
      webhookDlqTopic: 'security.alerts.webhook.dlq.v1',
    });
  });
});
