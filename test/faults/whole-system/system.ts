// The whole system as production wires it, for the fault suites (issue 18 item 2): the
// auth-gateway, audit-writer instances and security-monitor instances as processes (the gateway's
// auth topic is the writer's and the monitor's input, the monitor's alerts are audited too, its
// actions go to the gateway, both read the gateway's JWKS), real HTTP logins as the load, and the
// end-of-run accounting every fault is judged by.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { dlqTopic, type EventEnvelope } from '@vigil/contracts';
import { createTopics, deleteTopics, kafkaBrokers, uniqueTopic, waitFor } from '@vigil/testing';
import { ADMIN, FAST_ARGON2 } from '../../auth-gateway/support/gateway';
import { collect, ofRule, type AlertEvent, type Collector } from '../../security-monitor/support';
import { testActionKeys } from '../../support/action-signing';
import { freePort } from '../../support/processes';
import { LoginLoad, PASSWORD } from './login-load';
import { ServiceProcess } from './service-process';

/** seed 001-36: more than 5 failures per user per minute. */
export const RULE = 'failed-logins-per-user-1m-warning';

export interface SystemOptions {
  /** Tag of the run's topics, schemas and key directories. */
  name: string;
  /** The PostgreSQL every service's schema lives in (superuser: the services migrate at start). */
  databaseUrl: string;
  /** Instances of each consumer (one group each); only the first writer starts with start(). */
  writers?: number;
  monitors?: number;
  steadyUsers?: number;
  victims?: number;
}

export class WholeSystem {
  readonly t0 = Date.now();
  db: Client;
  readonly topics: Record<'auth' | 'alerts' | 'actions' | 'repartition' | 'partials', string>;
  readonly schemas: { gw: string; writer: string; monitor: string };
  readonly auditKeys = mkdtempSync(path.join(os.tmpdir(), 'vigil-ws-audit-keys-'));
  readonly gateway: ServiceProcess;
  readonly writers: ServiceProcess[];
  readonly monitors: ServiceProcess[];
  /** Account name -> user id. */
  readonly ids = new Map<string, string>();
  readonly writerGroup: string;
  alerts?: Collector<AlertEvent>;
  /** Every event on the auth topic (the outbox's, and those published directly while PostgreSQL was away). */
  published?: Collector<EventEnvelope>;
  load?: LoginLoad;

  /** Builds the system on ports the OS says are free (one per service). */
  static async create(opts: SystemOptions): Promise<WholeSystem> {
    const n = 1 + (opts.writers ?? 1) + (opts.monitors ?? 1);
    const ports: number[] = [];
    while (ports.length < n) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    return new WholeSystem(opts, ports);
  }

  private constructor(
    private readonly opts: SystemOptions,
    ports: number[],
  ) {
    this.db = WholeSystem.client(opts.databaseUrl);
    const tag = `${opts.name.replace(/[^a-z0-9]/g, '_')}_${randomUUID().slice(0, 8)}`;
    this.schemas = { gw: `gw_${tag}`, writer: `audit_${tag}`, monitor: `monitor_${tag}` };
    this.topics = {
      auth: uniqueTopic(`${opts.name}.auth`),
      alerts: uniqueTopic(`${opts.name}.alerts`),
      actions: uniqueTopic(`${opts.name}.actions`),
      repartition: uniqueTopic(`${opts.name}.by-ip`),
      partials: uniqueTopic(`${opts.name}.partials`),
    };
    this.writerGroup = `vigil-audit-writer-${this.topics.auth}`;
    const actionKeys = testActionKeys();
    const [gatewayPort, ...consumerPorts] = ports;
    const jwks = `http://127.0.0.1:${gatewayPort}/.well-known/jwks.json`;
    const common = {
      NODE_ENV: 'test',
      DATABASE_URL: opts.databaseUrl,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // A killed member's partitions move on after this long (the minimum).
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    this.gateway = new ServiceProcess('auth-gateway', gatewayPort, {
      ...common,
      DB_SCHEMA: this.schemas.gw,
      KAFKA_GROUP_ID: `test-gw-${this.schemas.gw}`,
      KAFKA_TOPIC_AUTH_EVENTS: this.topics.auth,
      KAFKA_TOPIC_SECURITY_ACTIONS: this.topics.actions,
      SIGNING_KEYS_DIR: mkdtempSync(path.join(os.tmpdir(), 'vigil-ws-gw-keys-')),
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
    const letter = (i: number, n: number) => (n > 1 ? ` ${String.fromCharCode(65 + i)}` : '');
    const writers = opts.writers ?? 1;
    this.writers = Array.from(
      { length: writers },
      (_, i) =>
        new ServiceProcess(
          'audit-writer',
          consumerPorts[i],
          {
            ...common,
            DB_SCHEMA: this.schemas.writer,
            AUDIT_TOPICS: `${this.topics.auth},${this.topics.alerts}`,
            KAFKA_GROUP_ID: this.writerGroup,
            AUDIT_KEY_DIR: this.auditKeys,
            AUDIT_CHECKPOINT_INTERVAL_MS: '1000',
            AUDIT_BATCH_MAX: '500',
            AUTH_EVENTS_TOPIC: this.topics.auth,
            AUTH_JWKS_URL: jwks,
          },
          `audit-writer${letter(i, writers)}`,
        ),
    );
    const monitors = opts.monitors ?? 1;
    this.monitors = Array.from(
      { length: monitors },
      (_, i) =>
        new ServiceProcess(
          'security-monitor',
          consumerPorts[writers + i],
          {
            ...common,
            DB_SCHEMA: this.schemas.monitor,
            MONITOR_INPUT_TOPIC: this.topics.auth,
            MONITOR_ALERTS_TOPIC: this.topics.alerts,
            MONITOR_ACTIONS_TOPIC: this.topics.actions,
            MONITOR_REPARTITION_TOPIC: this.topics.repartition,
            MONITOR_PARTIALS_TOPIC: this.topics.partials,
            KAFKA_GROUP_ID: `vigil-monitor-${this.topics.auth}`,
            MONITOR_ACTION_SIGNING_KEY_FILE: actionKeys.keyFile,
            MONITOR_ACTION_KEY_DIR: actionKeys.dir,
            MONITOR_BATCH_MAX: '500',
            AUTH_EVENTS_TOPIC: this.topics.auth,
            AUTH_JWKS_URL: jwks,
          },
          `security-monitor${letter(i, monitors)}`,
        ),
    );
  }

  /** The suite's own connection: a server restart ends it with an error event, which must not crash the suite. */
  private static client(url: string): Client {
    const c = new Client({ connectionString: url });
    c.on('error', () => undefined);
    return c;
  }

  get services(): ServiceProcess[] {
    return [this.gateway, ...this.writers, ...this.monitors];
  }

  /** Seconds since the run began, for what the suite prints. */
  at(): string {
    return `+${((Date.now() - this.t0) / 1000).toFixed(1)} s`;
  }

  get keyedTopics(): string[] {
    const t = this.topics;
    return [t.auth, t.alerts, t.actions, t.repartition];
  }

  get allTopics(): string[] {
    return Object.values(this.topics).flatMap((t) => [t, dlqTopic(t)]);
  }

  /** Topics, schemas, the gateway, the first writer, every monitor, the alert collector and the accounts. */
  async start(): Promise<void> {
    await createTopics(
      this.keyedTopics.flatMap((t) => [t, dlqTopic(t)]),
      3,
    );
    await createTopics([this.topics.partials, dlqTopic(this.topics.partials)], 1);
    await this.db.connect();
    for (const s of Object.values(this.schemas)) await this.db.query(`CREATE SCHEMA "${s}"`);
    this.gateway.start();
    await this.gateway.ready();
    this.writers[0].start();
    for (const m of this.monitors) m.start();
    await Promise.all([this.writers[0].ready(), ...this.monitors.map((m) => m.ready())]);
    this.alerts = await collect<AlertEvent>(this.topics.alerts);
    this.published = await collect<EventEnvelope>(this.topics.auth);
    await this.createAccounts();
  }

  private async createAccounts(): Promise<void> {
    const tokenRes = await fetch(`${this.gateway.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.1' },
      body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
    });
    const admin = ((await tokenRes.json()) as { access_token: string }).access_token;
    const steady = Array.from({ length: this.opts.steadyUsers ?? 4 }, (_, i) => `steady.${i}`);
    const victims = Array.from({ length: this.opts.victims ?? 40 }, (_, i) => `victim.${i}`);
    for (const username of [...steady, ...victims]) {
      const res = await fetch(`${this.gateway.base}/api/v1/admin/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ username, email: `${username}@vigil.test`, password: PASSWORD }),
      });
      const body = (await res.json()) as { id: string };
      if (res.status !== 201) throw new Error(`create ${username}: ${res.status} ${JSON.stringify(body)}`);
      this.ids.set(username, body.id);
    }
    this.load = new LoginLoad(() => this.gateway.base, steady, victims);
    console.log(`[fault] services ready and ${this.ids.size} accounts created at ${this.at()}`);
  }

  /**
   * The run of a fault suite: starts everything and the load, runs `faults`, and tears down; when it
   * fails, every service's output tail is printed first (what each process said is the diagnosis).
   */
  async run(faults: (load: LoginLoad) => Promise<void>): Promise<void> {
    try {
      await this.start();
      await this.startLoad();
      await faults(this.load!);
    } catch (err) {
      for (const s of this.services)
        console.log(`[fault] ${s.label} output (tail):\n${s.output().slice(-3000)}`);
      throw err;
    } finally {
      await this.teardown();
    }
  }

  /** Starts the load and waits until logins flow and the first alert is out. */
  async startLoad(): Promise<void> {
    this.load!.start();
    await waitFor(() => this.firing().length >= 1 && this.load!.answered.length >= 20, {
      timeoutMs: 60_000,
      what: 'steady load flowing and the first alert out',
    });
  }

  /** Waits until the account under attack has some of its failures, not all: the fault lands mid-window. */
  async midWindow(): Promise<void> {
    await waitFor(() => this.load!.currentVictimFailures >= 2 && this.load!.currentVictimFailures <= 5, {
      timeoutMs: 60_000,
      intervalMs: 20,
      what: 'an account half-way through its brute force',
    });
  }

  /** Waits until `n` more logins are answered (the system serves again after a fault). */
  async answersResume(after: string, n = 10): Promise<void> {
    const from = this.load!.answered.length;
    await waitFor(() => this.load!.answered.length >= from + n, {
      timeoutMs: 90_000,
      what: `logins answered after ${after}`,
    });
  }

  /** Waits until one more account is brute-forced from start to end (a full window after the faults). */
  async oneMoreVictim(): Promise<void> {
    const startedAfter = this.load!.victimsStarted.length;
    await waitFor(() => this.load!.victimsDone.length > startedAfter, {
      timeoutMs: 60_000,
      what: 'an account brute-forced after the last fault',
    });
  }

  async outbox(): Promise<{ total: number; pending: number; failed: number }> {
    const { rows } = await this.db.query(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE published_at IS NULL AND failed_at IS NULL)::int AS pending,
              count(*) FILTER (WHERE failed_at IS NOT NULL)::int AS failed
         FROM "${this.schemas.gw}".outbox`,
    );
    return rows[0];
  }

  async auditRows(): Promise<number> {
    const { rows } = await this.db.query(
      `SELECT count(*)::int AS n FROM "${this.schemas.writer}".audit_logs`,
    );
    return rows[0].n;
  }

  firing(): AlertEvent[] {
    return ofRule(this.alerts?.events ?? [], RULE).filter((a) => a.attributes.status === 'firing');
  }

  /** One line of what is counted now (the suite's own client may be between connections: then less). */
  async counted(): Promise<string> {
    const store = await Promise.all([this.outbox(), this.auditRows()]).then(
      ([o, n]) => `${o.total} events in the outbox (${o.pending} pending), ${n} rows in audit_logs`,
      () => 'PostgreSQL not answering',
    );
    return `${this.load!.summary()}, ${store}, ${this.firing().length} ${RULE} alerts firing`;
  }

  /** Reconnects the suite's own client after a PostgreSQL restart ended its connection. */
  async reconnect(): Promise<void> {
    await this.db.end().catch(() => undefined);
    const fresh = WholeSystem.client(this.opts.databaseUrl);
    await fresh.connect();
    this.db = fresh;
  }

  async teardown(): Promise<void> {
    await this.load?.stop().catch(() => undefined);
    await this.alerts?.stop().catch(() => undefined);
    await this.published?.stop().catch(() => undefined);
    for (const s of this.services) await s.kill('SIGKILL');
    for (const s of Object.values(this.schemas))
      await this.db.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
    await this.db.end().catch(() => undefined);
    await deleteTopics(this.allTopics).catch(() => undefined);
  }
}
