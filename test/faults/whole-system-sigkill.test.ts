// The whole system under steady load while each service is SIGKILLed in turn (issue 18 item 2):
// the auth-gateway, the audit-writer and the security-monitor run as three processes wired as in
// production (the gateway's auth topic is the writer's and the monitor's input, the monitor's
// alerts are audited too, its actions go to the gateway, both read the gateway's JWKS). Real HTTP
// logins flow through the gateway: successes, and a brute force on one account after another. The
// gateway, then the writer, then the monitor is killed mid-stream and restarted a few seconds
// later while the load goes on. Afterwards: every answered login is exactly one audit row, the
// outbox drained, every chain verifies, each brute-forced account raised its alert exactly once,
// and no DLQ holds a record. Requests a dead gateway could not answer are counted apart.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { dlqTopic } from '@vigil/contracts';
import {
  createTopics,
  deleteTopics,
  freshSchema,
  kafkaBrokers,
  testDatabaseUrl,
  testKafka,
  uniqueTopic,
  waitFor,
} from '@vigil/testing';
import { loadKeyring } from '../../apps/audit-writer/src/checkpoints/signing-keys';
import { verifyStore } from '../../apps/audit-writer/src/verify/verify-store';
import { ADMIN, FAST_ARGON2 } from '../auth-gateway/support/gateway';
import {
  collect,
  ofRule,
  stagesCaughtUp,
  type AlertEvent,
  type Collector,
} from '../security-monitor/support';
import { testActionKeys } from '../support/action-signing';
import type { AppName } from '../support/apps';
import { spawnService, type Spawned } from '../support/processes';
import { dlqDepth, FAULT_TEST_TIMEOUT_MS, outage } from './support';

const RULE = 'failed-logins-per-user-1m-warning'; // seed 001-36: more than 5 failures per user per minute
/** Answered failures per brute-forced account: above the warning (> 5), not above the critical (> 10). */
const FAILURES_PER_VICTIM = 8;
const ATTEMPT_GAP_MS = 1000;
const STEADY_GAP_MS = 500;
const STEADY_USERS = 4;
/** How long a killed service stays down before it is started again (the fault, not a wait). */
const DOWN_MS = 3000;
const PASSWORD = 'Quiet-Harbor-Lantern-42';

/** One service as its own process on a fixed port (so the JWKS URL and probes survive a restart). */
class ServiceProcess {
  proc?: Spawned;
  private readonly outputs: string[] = [];

  constructor(
    readonly app: AppName,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.proc && this.proc.child.exitCode === null && this.proc.child.signalCode === null;
  }

  start(): void {
    if (this.proc) this.outputs.push(this.proc.output());
    this.proc = spawnService(this.app, { ...this.env, HTTP_PORT: String(this.port) });
  }

  /** Resolves once /health answers 200; fails at once (with the output) if the process exits. */
  async ready(): Promise<void> {
    const proc = this.proc!;
    const exited = proc.exited.then(({ code, signal }) => {
      throw new Error(
        `${this.app} exited (${code ?? signal}) before it was ready:\n${proc.output().slice(-4000)}`,
      );
    });
    exited.catch(() => undefined);
    await Promise.race([
      exited,
      waitFor(
        async () => {
          const res = await fetch(`${this.base}/health`, { signal: AbortSignal.timeout(5000) });
          await res.arrayBuffer();
          return res.status === 200;
        },
        { timeoutMs: 90_000, intervalMs: 250, what: `${this.app} ready` },
      ),
    ]);
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.proc!.child.kill(signal);
    await this.proc!.exited;
  }

  /** Every line the service wrote, over all its runs (for a failure's diagnosis). */
  output(): string {
    return [...this.outputs, this.proc?.output() ?? ''].join('\n--- restart ---\n');
  }
}

interface Answer {
  requestId: string;
  status: number;
  user: string;
  at: number;
}

/**
 * The clients: a steady stream of successful logins, and brute force on one account after another
 * (a new one once the current one has half its failures; each attempt with another wrong password,
 * so none is a "repeated" failure the rules skip). Every request carries its own X-Request-Id, so
 * an answer is matched to its audit row, and an unanswered request to the event it may have left.
 */
class LoginLoad {
  readonly answered: Answer[] = [];
  readonly other: Array<{ status: number; body: string }> = [];
  readonly unanswered: Array<{ requestId: string; error: string }> = [];
  readonly victimsDone: string[] = [];
  readonly victimsStarted: string[] = [];
  /** Answered failures of the account under attack right now (the newest one). */
  currentVictimFailures = 0;
  private stopping = false;
  private n = 0;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly gateway: () => string,
    private readonly steadyUsers: string[],
    private readonly victims: string[],
  ) {}

  start(): void {
    this.loops = [this.steady(), this.attack()];
  }

  /** Stops starting new attacks and steady logins; the account under attack gets its failures first. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  count(status: number): number {
    return this.answered.filter((a) => a.status === status).length;
  }

  summary(): string {
    return `${this.answered.length} logins answered (${this.count(200)} × 200, ${this.count(401)} × 401), ${this.unanswered.length} unanswered`;
  }

  private async attempt(
    kind: string,
    user: string,
    password: string,
    ip: string,
  ): Promise<number | undefined> {
    const requestId = `wsk-${kind}-${++this.n}-${randomUUID().slice(0, 8)}`;
    try {
      const res = await fetch(`${this.gateway()}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, 'x-request-id': requestId },
        body: JSON.stringify({ username: user, password }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = await res.text();
      if (res.status === 200 || res.status === 401)
        this.answered.push({ requestId, status: res.status, user, at: Date.now() });
      else this.other.push({ status: res.status, body: body.slice(0, 300) });
      return res.status;
    } catch (err) {
      this.unanswered.push({ requestId, error: String((err as { cause?: unknown }).cause ?? err) });
      return undefined;
    }
  }

  private async steady(): Promise<void> {
    for (let i = 0; !this.stopping; i++) {
      const u = i % this.steadyUsers.length;
      void this.attempt('ok', this.steadyUsers[u], PASSWORD, `198.51.100.${u + 1}`);
      await outage(STEADY_GAP_MS); // the load's pace, not a synchronisation
    }
  }

  private async attack(): Promise<void> {
    const running: Promise<void>[] = [];
    for (let v = 0; v < this.victims.length && !this.stopping; v++) {
      let halfway!: () => void;
      const half = new Promise<void>((r) => (halfway = r));
      running.push(this.bruteForce(v, halfway));
      await half;
    }
    await Promise.all(running);
  }

  private async bruteForce(v: number, halfway: () => void): Promise<void> {
    const victim = this.victims[v];
    this.victimsStarted.push(victim);
    this.currentVictimFailures = 0;
    let failures = 0;
    for (let k = 0; failures < FAILURES_PER_VICTIM; k++) {
      if (k > 100) throw new Error(`brute force on ${victim}: ${failures} answers in ${k} attempts`);
      const status = await this.attempt(
        'bf',
        victim,
        `Wrong-${v}-${k}-${randomUUID().slice(0, 6)}`,
        `203.0.113.${v + 10}`,
      );
      if (status === 401) {
        failures++;
        if (this.victimsStarted.at(-1) === victim) this.currentVictimFailures = failures;
        if (failures === FAILURES_PER_VICTIM / 2) halfway();
      }
      if (failures < FAILURES_PER_VICTIM) await outage(ATTEMPT_GAP_MS);
    }
    halfway();
    this.victimsDone.push(victim);
  }
}

describe('the whole system under steady load, each service SIGKILLed in turn', () => {
  it(
    'seed 000-27, 003-09, 000-30, 001-25, 001-04, 001-36: gateway, writer and monitor each SIGKILLed mid-stream and restarted: every answered login exactly once in audit_logs, the outbox drained, every chain verifies, each brute-forced account alerted exactly once, no DLQ record',
    async () => {
      const t0 = Date.now();
      const at = () => `+${((Date.now() - t0) / 1000).toFixed(1)} s`;
      const db = new Client({ connectionString: testDatabaseUrl() });
      await db.connect();
      const gwDb = await freshSchema('gw');
      const writerDb = await freshSchema('audit_wsk');
      const monitorDb = await freshSchema('security_monitor');
      const topics = {
        auth: uniqueTopic('wsk.auth'),
        alerts: uniqueTopic('wsk.alerts'),
        actions: uniqueTopic('wsk.actions'),
        repartition: uniqueTopic('wsk.by-ip'),
        partials: uniqueTopic('wsk.partials'),
      };
      const keyed = [topics.auth, topics.alerts, topics.actions, topics.repartition];
      const allTopics = [...keyed, topics.partials].flatMap((t) => [t, dlqTopic(t)]);
      await createTopics(
        keyed.flatMap((t) => [t, dlqTopic(t)]),
        3,
      );
      await createTopics([topics.partials, dlqTopic(topics.partials)], 1);
      const auditKeys = mkdtempSync(path.join(os.tmpdir(), 'vigil-wsk-audit-keys-'));
      const actionKeys = testActionKeys();
      const basePort = 44000 + Math.floor(Math.random() * 900) * 3;
      const jwks = `http://127.0.0.1:${basePort}/.well-known/jwks.json`;
      const common = {
        NODE_ENV: 'test',
        DATABASE_URL: testDatabaseUrl(),
        KAFKA_BROKERS: kafkaBrokers().join(','),
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        // A killed member's partitions move on after this long (the minimum).
        KAFKA_SESSION_TIMEOUT_MS: '6000',
      };
      const gateway = new ServiceProcess('auth-gateway', basePort, {
        ...common,
        DB_SCHEMA: gwDb.schema,
        KAFKA_GROUP_ID: `test-gw-${gwDb.schema}`,
        KAFKA_TOPIC_AUTH_EVENTS: topics.auth,
        KAFKA_TOPIC_SECURITY_ACTIONS: topics.actions,
        SIGNING_KEYS_DIR: mkdtempSync(path.join(os.tmpdir(), 'vigil-wsk-gw-keys-')),
        SECURITY_ACTION_PUBLIC_KEYS: actionKeys.publicDir,
        OUTBOX_POLL_MS: '50',
        BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
        BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
        BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
        TRUST_PROXY: 'loopback',
        ...FAST_ARGON2,
        // The gateway's own throttles would answer the brute force with 429s after a few tries;
        // here the monitor is what is tested, so every attempt reaches the password check (401).
        LOCKOUT_THRESHOLD: '1000',
        THROTTLE_ACCOUNT_IP_FREE_FAILURES: '1000',
        THROTTLE_IP_FREE_FAILURES: '100000',
      });
      const writer = new ServiceProcess('audit-writer', basePort + 1, {
        ...common,
        DB_SCHEMA: writerDb.schema,
        AUDIT_TOPICS: `${topics.auth},${topics.alerts}`,
        KAFKA_GROUP_ID: `vigil-audit-writer-${topics.auth}`,
        AUDIT_KEY_DIR: auditKeys,
        AUDIT_CHECKPOINT_INTERVAL_MS: '1000',
        AUDIT_BATCH_MAX: '500',
        AUTH_EVENTS_TOPIC: topics.auth,
        AUTH_JWKS_URL: jwks,
      });
      const monitor = new ServiceProcess('security-monitor', basePort + 2, {
        ...common,
        DB_SCHEMA: monitorDb.schema,
        MONITOR_INPUT_TOPIC: topics.auth,
        MONITOR_ALERTS_TOPIC: topics.alerts,
        MONITOR_ACTIONS_TOPIC: topics.actions,
        MONITOR_REPARTITION_TOPIC: topics.repartition,
        MONITOR_PARTIALS_TOPIC: topics.partials,
        KAFKA_GROUP_ID: `vigil-monitor-${topics.auth}`,
        MONITOR_ACTION_SIGNING_KEY_FILE: actionKeys.keyFile,
        MONITOR_ACTION_KEY_DIR: actionKeys.dir,
        MONITOR_BATCH_MAX: '500',
        AUTH_EVENTS_TOPIC: topics.auth,
        AUTH_JWKS_URL: jwks,
      });
      const services = [gateway, writer, monitor];
      let alerts: Collector<AlertEvent> | undefined;
      let load: LoginLoad | undefined;

      const outbox = async () =>
        (
          await db.query(
            `SELECT count(*)::int AS total,
                    count(*) FILTER (WHERE published_at IS NULL AND failed_at IS NULL)::int AS pending,
                    count(*) FILTER (WHERE failed_at IS NOT NULL)::int AS failed
               FROM "${gwDb.schema}".outbox`,
          )
        ).rows[0] as { total: number; pending: number; failed: number };
      const auditRows = async () =>
        (await db.query(`SELECT count(*)::int AS n FROM "${writerDb.schema}".audit_logs`)).rows[0]
          .n as number;
      const firing = () => ofRule(alerts!.events, RULE).filter((a) => a.attributes.status === 'firing');
      const counted = async () => {
        const o = await outbox();
        return `${load!.summary()}, ${o.total} events in the outbox (${o.pending} pending), ${await auditRows()} rows in audit_logs, ${firing().length} ${RULE} alerts firing`;
      };

      try {
        gateway.start();
        await gateway.ready();
        writer.start();
        monitor.start();
        await Promise.all([writer.ready(), monitor.ready()]);
        alerts = await collect<AlertEvent>(topics.alerts);

        // Accounts, created through the admin API.
        const tokenRes = await fetch(`${gateway.base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.1' },
          body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
        });
        const admin = ((await tokenRes.json()) as { access_token: string }).access_token;
        const ids = new Map<string, string>();
        const create = async (username: string) => {
          const res = await fetch(`${gateway.base}/api/v1/admin/users`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
            body: JSON.stringify({ username, email: `${username}@vigil.test`, password: PASSWORD }),
          });
          const body = (await res.json()) as { id: string };
          if (res.status !== 201)
            throw new Error(`create ${username}: ${res.status} ${JSON.stringify(body)}`);
          ids.set(username, body.id);
        };
        const steadyUsers = Array.from({ length: STEADY_USERS }, (_, i) => `steady.${i}`);
        const victims = Array.from({ length: 40 }, (_, i) => `victim.${i}`);
        for (const u of [...steadyUsers, ...victims]) await create(u);
        console.log(`[fault] three services ready and ${ids.size} accounts created at ${at()}`);

        load = new LoginLoad(() => gateway.base, steadyUsers, victims);
        load.start();
        await waitFor(() => firing().length >= 1 && load!.answered.length >= 20, {
          timeoutMs: 60_000,
          what: 'steady load flowing and the first alert out',
        });

        for (const svc of services) {
          // Kill mid-window: the account under attack has some of its failures, not all.
          await waitFor(() => load!.currentVictimFailures >= 2 && load!.currentVictimFailures <= 5, {
            timeoutMs: 60_000,
            intervalMs: 20,
            what: 'an account half-way through its brute force',
          });
          const unansweredBefore = load.unanswered.length;
          await svc.kill('SIGKILL');
          const killedAt = Date.now();
          console.log(`[fault] SIGKILL ${svc.app} at ${at()}: ${await counted()}`);
          await outage(DOWN_MS);
          svc.start();
          await svc.ready();
          const answeredAtRestart = load.answered.length;
          console.log(
            `[fault] ${svc.app} restarted and ready at ${at()} (${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill); ${load.unanswered.length - unansweredBefore} requests unanswered meanwhile; ${await counted()}`,
          );
          await waitFor(() => load!.answered.length >= answeredAtRestart + 10, {
            timeoutMs: 60_000,
            what: `logins answered after the ${svc.app} restart`,
          });
        }
        // One more account brute-forced from start to end after the last restart, then the load stops.
        const startedAfter = load.victimsStarted.length;
        await waitFor(() => load!.victimsDone.length > startedAfter, {
          timeoutMs: 60_000,
          what: 'an account brute-forced after the last restart',
        });
        await load.stop();
        console.log(`[fault] load stopped at ${at()}: ${await counted()}`);

        // Drained: the outbox published everything, the monitor read everything, every victim alerted.
        await waitFor(async () => (await outbox()).pending === 0, {
          timeoutMs: 60_000,
          what: 'outbox drained',
        });
        await waitFor(
          () => stagesCaughtUp(db, monitorDb.schema, [topics.auth, topics.repartition, topics.partials]),
          {
            timeoutMs: 90_000,
            what: 'every monitor stage caught up',
          },
        );
        const victimKeys = load.victimsDone.map((v) => ids.get(v)!);
        await waitFor(() => victimKeys.every((k) => firing().some((a) => a.attributes.key.value === k)), {
          timeoutMs: 60_000,
          what: `${victimKeys.length} ${RULE} alerts`,
        }).catch((err) => {
          const seen = new Set(firing().map((a) => a.attributes.key.value));
          console.log(
            `[fault] missing alerts for ${load!.victimsDone.filter((v) => !seen.has(ids.get(v)!)).join(', ')}\n${monitor.output().slice(-6000)}`,
          );
          throw err;
        });
        // The monitor stops (cleanly) so no alert comes after the count; the collector reads to the end.
        await monitor.kill('SIGTERM');
        const alertsOnTopic = async () => {
          const admin = testKafka('vigil-test-admin').admin();
          await admin.connect();
          try {
            return (await admin.fetchTopicOffsets(topics.alerts)).reduce((n, p) => n + Number(p.high), 0);
          } finally {
            await admin.disconnect();
          }
        };
        const alertTotal = await alertsOnTopic();
        await waitFor(() => alerts!.events.length >= alertTotal, {
          timeoutMs: 30_000,
          what: 'every alert read',
        });

        // The writer has every outbox event and every alert; then it stops too.
        const { rows: outboxRows } = await db.query<{
          event_id: string;
          request_id: string | null;
          type: string;
        }>(
          `SELECT event_id::text, payload->>'requestId' AS request_id, event_type AS type FROM "${gwDb.schema}".outbox`,
        );
        const expectedIds = new Set([
          ...outboxRows.map((r) => r.event_id),
          ...alerts.events.map((a) => a.id),
        ]);
        await waitFor(async () => (await auditRows()) >= expectedIds.size, {
          timeoutMs: 90_000,
          what: `${expectedIds.size} rows in audit_logs`,
        });
        await writer.kill('SIGTERM');
        const o = await outbox();
        const { rows: audit } = await db.query<{
          event_id: string;
          request_id: string | null;
          action: string;
        }>(`SELECT event_id::text, request_id, action FROM "${writerDb.schema}".audit_logs`);
        const auditIds = audit.map((r) => r.event_id);

        // Every login the gateway answered is exactly one audit row of the right action.
        const byRequest = new Map<string, string[]>();
        for (const r of audit)
          if (r.request_id) byRequest.set(r.request_id, [...(byRequest.get(r.request_id) ?? []), r.action]);
        const wrong = load.answered.filter((a) => {
          const actions = byRequest.get(a.requestId) ?? [];
          return (
            actions.length !== 1 || actions[0] !== (a.status === 200 ? 'AUTH_LOGIN' : 'FAILED_AUTH_LOGIN')
          );
        });
        const leftEvents = load.unanswered.filter((u) => byRequest.has(u.requestId)).length;
        // An alert is its event id: a transition re-published after the monitor's SIGKILL (sent, state
        // not saved yet, replayed) carries the same id (alert-events.ts), which consumers dedupe on.
        const firingIds = new Map<string, Set<string>>();
        for (const a of firing())
          firingIds.set(
            a.attributes.key.value,
            (firingIds.get(a.attributes.key.value) ?? new Set()).add(a.id),
          );
        const perKey = new Map([...firingIds].map(([k, set]) => [k, set.size]));
        const redelivered = alerts.events.length - new Set(alerts.events.map((a) => a.id)).size;
        const dlq = await dlqDepth([
          topics.auth,
          topics.alerts,
          topics.actions,
          topics.repartition,
          topics.partials,
        ]);
        const report = await verifyStore(db, writerDb.schema, loadKeyring(auditKeys));
        console.log(
          `[fault] at the end (${at()}): ${load.summary()} (${leftEvents} of the unanswered left an event: committed before the kill), ${load.other.length} other answers; ` +
            `outbox ${o.total} events (${o.pending} pending, ${o.failed} failed), ${alertTotal} alert records on the topic (${redelivered} of them redelivered copies with the same event id), audit_logs ${audit.length} rows (${new Set(auditIds).size} distinct event ids), ` +
            `${load.victimsDone.length} accounts brute-forced, ${perKey.size} alerted (${[...perKey.values()].filter((n) => n > 1).length} by more than one distinct alert), DLQ ${dlq}, ` +
            `${report.chains.length} chains: ${report.validRows}/${report.rows} rows valid`,
        );

        for (const [key, n] of perKey) {
          if (n === 1) continue;
          const name = [...ids].find(([, id]) => id === key)?.[0];
          const tries = load.answered
            .filter((a) => a.user === name)
            .map((a) => `${a.status}@${((a.at - t0) / 1000).toFixed(1)}`);
          console.log(
            `[fault] ${name} (${key}) alerted ${n} times: ${JSON.stringify(
              ofRule(alerts.events, RULE, key).map((a) => ({
                id: a.id,
                occurredAt: a.occurredAt,
                ...a.attributes,
                samples: undefined,
              })),
            )}\nits answered attempts: ${tries.join(' ')}`,
          );
        }
        expect(load.other).toEqual([]);
        expect(wrong).toEqual([]);
        expect(load.answered.length).toBeGreaterThan(100);
        expect(o).toMatchObject({ pending: 0, failed: 0 });
        // No event lost, none duplicated: audit_logs holds exactly the outbox's events and the alerts.
        expect(auditIds.length).toBe(new Set(auditIds).size);
        expect([...auditIds].sort()).toEqual([...expectedIds].sort());
        expect(report.chains.flatMap((c) => c.findings)).toEqual([]);
        expect(report).toMatchObject({ ok: true, rows: audit.length, validRows: audit.length });
        // Each brute-forced account's alert exactly once, and none for anyone else.
        expect(Object.fromEntries(perKey)).toEqual(Object.fromEntries(victimKeys.map((k) => [k, 1])));
        expect(dlq).toBe(0);
      } catch (err) {
        for (const s of services) console.log(`[fault] ${s.app} output (tail):\n${s.output().slice(-3000)}`);
        throw err;
      } finally {
        await load?.stop().catch(() => undefined);
        await alerts?.stop().catch(() => undefined);
        for (const s of services) await s.kill('SIGKILL');
        await db.end();
        for (const s of [gwDb, writerDb, monitorDb]) await s.drop().catch(() => undefined);
        await deleteTopics(allTopics).catch(() => undefined);
      }
    },
    FAULT_TEST_TIMEOUT_MS,
  );
});
