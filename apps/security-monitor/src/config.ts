import {
  ConfigError,
  describeConfig,
  env,
  loadConfig,
  revocationSchema,
  serviceSchema,
  tokenVerifierSchema,
  type ConfigOf,
} from '@vigil/config';
import { ALERT_FORMATS, MonitorTopics, SEVERITIES, SocTopics, Topics } from '@vigil/contracts';

export const SERVICE = 'security-monitor';

const TOPIC = /^[a-zA-Z0-9._-]+$/;

/** Every variable security-monitor reads; start-up fails naming any that is missing or malformed. */
export const schema = {
  ...serviceSchema({ port: 3002, schema: 'monitor' }),
  /** The rules endpoints are for admins: tokens verified against the gateway's published keys. */
  ...tokenVerifierSchema(),
  /** Revoked sessions, deactivated/locked/demoted users: tokens refused within a second (deny-list from auth events). */
  ...revocationSchema(),
  /** The versioned rules file; reloaded on SIGHUP or POST /api/v1/monitor/rules/reload. Relative to the working directory. */
  rulesFile: env.string('RULES_FILE', {
    default: 'apps/security-monitor/rules/default.rules.json',
    maxLength: 1000,
  }),
  /** Events older than (newest event time - this) are dropped (and counted in monitor_events_late_dropped). */
  allowedLatenessSeconds: env.int('MONITOR_ALLOWED_LATENESS_SECONDS', { default: 30, min: 0, max: 3600 }),
  /** While an alert stays above threshold, at most one `updated` per this much event time. */
  updateIntervalSeconds: env.int('MONITOR_UPDATE_INTERVAL_SECONDS', { default: 30, min: 1, max: 86400 }),
  /** Monitor-only mode: no SECURITY_ACTION is published whatever the rules say; alerts say what would have been done. */
  dryRun: env.bool('MONITOR_DRY_RUN', { default: false }),
  /** IPs and CIDRs that never raise keyed alerts (scanners, health checkers); they still count system-wide. */
  allowlistIps: env.list('MONITOR_ALLOWLIST_IPS', { default: [], pattern: /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/ }),
  /** User ids or usernames (service accounts) that never raise keyed alerts. */
  allowlistUsers: env.list('MONITOR_ALLOWLIST_USERS', { default: [], pattern: /^[^\s,]{1,320}$/ }),
  /** Keys kept per rule before idle ones are evicted (bounded memory under floods of one-shot IPs). */
  maxKeysPerRule: env.int('MONITOR_MAX_KEYS_PER_RULE', { default: 100000, min: 100, max: 10000000 }),
  /** Events per engine step (one publish, one snapshot). */
  batchMax: env.int('MONITOR_BATCH_MAX', { default: 2000, min: 1, max: 20000 }),
  /** Partitions of a stage stepped at once by one instance (their state is independent). */
  partitionsConcurrently: env.int('MONITOR_PARTITIONS_CONCURRENTLY', { default: 2, min: 1, max: 64 }),
  /**
   * A partition with no input for this long (wall time) moves its event clock to now, so alerts on
   * a quiet partition still resolve and the global stage's watermark moves.
   */
  idleSeconds: env.int('MONITOR_IDLE_SECONDS', { default: 10, min: 1, max: 3600 }),
  /**
   * Partition state is written to PostgreSQL at most this often while it changes (and on
   * shutdown); consumer offsets are committed only up to what it covers, so a crash replays at
   * most this much input, which the engine absorbs without double counting.
   */
  stateSaveMs: env.int('MONITOR_STATE_SAVE_MS', { default: 1000, min: 0, max: 60000 }),
  /**
   * Ed25519 private key (PEM) that signs every SECURITY_ACTION; the gateway applies only actions
   * signed by a key it trusts. Required in production; elsewhere one is made in MONITOR_ACTION_KEY_DIR.
   * Never in the database.
   */
  actionSigningKeyFile: env.string('MONITOR_ACTION_SIGNING_KEY_FILE', { optional: true, maxLength: 1000 }),
  /** Where the development key is made, and where `public/<kid>.pub.pem` of the key in use is written (for the gateway). */
  actionKeyDir: env.string('MONITOR_ACTION_KEY_DIR', {
    default: '.cache/keys/monitor-actions',
    maxLength: 1000,
  }),
  /** How long a signed action may be applied after it is issued (the gateway also bounds it). */
  actionValiditySeconds: env.int('MONITOR_ACTION_VALIDITY_SECONDS', { default: 300, min: 10, max: 3600 }),
  inputTopic: env.string('MONITOR_INPUT_TOPIC', { default: Topics.AUTH_EVENTS, pattern: TOPIC }),
  alertsTopic: env.string('MONITOR_ALERTS_TOPIC', { default: Topics.SECURITY_ALERTS, pattern: TOPIC }),
  actionsTopic: env.string('MONITOR_ACTIONS_TOPIC', { default: Topics.SECURITY_ACTIONS, pattern: TOPIC }),
  /** Internal: the events per-IP rules match, re-keyed by IP (created with KAFKA_TOPIC_PARTITIONS). */
  repartitionTopic: env.string('MONITOR_REPARTITION_TOPIC', {
    default: MonitorTopics.IP_REPARTITION,
    pattern: TOPIC,
  }),
  /** Internal: per-partition counts for the global rules (one partition: one instance merges them). */
  partialsTopic: env.string('MONITOR_PARTIALS_TOPIC', {
    default: MonitorTopics.GLOBAL_PARTIALS,
    pattern: TOPIC,
  }),
  /**
   * SOC delivery (README "SOC delivery"): each alert transition also as OCSF 1.1.0 Detection Finding
   * and/or ECS 8.11, on topics and/or NDJSON files. Comma list of `ocsf-topic`, `ecs-topic`,
   * `ocsf-file:<path>`, `ecs-file:<path>`; none by default. A sink that fails never holds up or
   * loses the alert on MONITOR_ALERTS_TOPIC: it retries with backoff, and health reports degraded.
   */
  sinks: env.list('MONITOR_SINKS', {
    default: [],
    pattern: /^(ocsf-topic|ecs-topic|(ocsf|ecs)-file:[^,]{1,1000})$/,
  }),
  ocsfTopic: env.string('MONITOR_OCSF_TOPIC', { default: SocTopics.ALERTS_OCSF, pattern: TOPIC }),
  ecsTopic: env.string('MONITOR_ECS_TOPIC', { default: SocTopics.ALERTS_ECS, pattern: TOPIC }),
  /** Records held per sink while it is failing; beyond this the oldest are dropped (counted, health degraded). */
  sinkQueueMax: env.int('MONITOR_SINK_QUEUE_MAX', { default: 10000, min: 10, max: 1000000 }),
  /**
   * Escalation webhook (seed 003): alerts at or above MONITOR_WEBHOOK_MIN_SEVERITY are POSTed here,
   * signed (X-Vigil-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">). A secret: the URL
   * itself often carries a token, so it is never logged.
   */
  webhookUrl: env.url('MONITOR_WEBHOOK_URL', { optional: true, secret: true, protocols: ['https', 'http'] }),
  /** The HMAC key (MONITOR_WEBHOOK_SECRET_FILE: a file holding it); required with a webhook URL. */
  webhookSecret: env.string('MONITOR_WEBHOOK_SECRET', { optional: true, secret: true, maxLength: 4096 }),
  webhookMinSeverity: env.oneOf('MONITOR_WEBHOOK_MIN_SEVERITY', SEVERITIES, { default: 'high' }),
  webhookFormat: env.oneOf('MONITOR_WEBHOOK_FORMAT', ALERT_FORMATS, { default: 'json' }),
  /** Which transitions are escalated: a ticket opens on firing and closes on resolved by default. */
  webhookStatuses: env.list('MONITOR_WEBHOOK_STATUSES', {
    default: ['firing', 'resolved'],
    pattern: /^(firing|updated|resolved)$/,
  }),
  /** Delivery attempts per alert (the first included) before it goes to the webhook DLQ. */
  webhookMaxAttempts: env.int('MONITOR_WEBHOOK_MAX_ATTEMPTS', { default: 8, min: 1, max: 50 }),
  /** And at most this long from the first attempt (a Retry-After beyond it dead-letters at once). */
  webhookMaxElapsedSeconds: env.int('MONITOR_WEBHOOK_MAX_ELAPSED_SECONDS', {
    default: 600,
    min: 1,
    max: 86400,
  }),
  /** First retry delay; doubles per attempt (full jitter), capped at MONITOR_WEBHOOK_BACKOFF_MAX_MS. */
  webhookBackoffMs: env.int('MONITOR_WEBHOOK_BACKOFF_MS', { default: 1000, min: 1, max: 600000 }),
  webhookBackoffMaxMs: env.int('MONITOR_WEBHOOK_BACKOFF_MAX_MS', { default: 60000, min: 1, max: 3600000 }),
  /** One request's timeout. */
  webhookTimeoutMs: env.int('MONITOR_WEBHOOK_TIMEOUT_MS', { default: 10000, min: 100, max: 120000 }),
  /** Alerts waiting for the webhook; when full, a new one goes straight to the DLQ (reason queue_full). */
  webhookQueueMax: env.int('MONITOR_WEBHOOK_QUEUE_MAX', { default: 1000, min: 1, max: 100000 }),
  /** Requests in flight at once. */
  webhookConcurrency: env.int('MONITOR_WEBHOOK_CONCURRENCY', { default: 4, min: 1, max: 64 }),
  /** Where undeliverable escalations go, with the reason and attempts; `npm run monitor:webhook-replay` resends them. */
  webhookDlqTopic: env.string('MONITOR_WEBHOOK_DLQ_TOPIC', {
    default: SocTopics.WEBHOOK_DLQ,
    pattern: TOPIC,
  }),
};

export type SecurityMonitorConfig = ConfigOf<typeof schema>;

export const loadSecurityMonitorConfig = (source = process.env): SecurityMonitorConfig => {
  const config = loadConfig(schema, source);
  const problems: string[] = [];
  if (config.nodeEnv === 'production' && !config.actionSigningKeyFile)
    problems.push('MONITOR_ACTION_SIGNING_KEY_FILE is required in production (an Ed25519 private key, PEM)');
  if (config.webhookUrl && !config.webhookSecret)
    problems.push(
      'MONITOR_WEBHOOK_SECRET_FILE is required with MONITOR_WEBHOOK_URL (the HMAC key that signs each delivery)',
    );
  if (config.webhookSecret && Buffer.byteLength(config.webhookSecret, 'utf8') < 32)
    problems.push('MONITOR_WEBHOOK_SECRET must be at least 32 bytes');
  if (config.webhookUrl && config.nodeEnv === 'production' && !config.webhookUrl.startsWith('https:'))
    problems.push('MONITOR_WEBHOOK_URL must use https in production');
  if (config.webhookBackoffMaxMs < config.webhookBackoffMs)
    problems.push('MONITOR_WEBHOOK_BACKOFF_MAX_MS must be >= MONITOR_WEBHOOK_BACKOFF_MS');
  if (problems.length) throw new ConfigError(problems);
  return config;
};
export const describeSecurityMonitorConfig = (config: SecurityMonitorConfig) =>
  describeConfig(schema, config);
