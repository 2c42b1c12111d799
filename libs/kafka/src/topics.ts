import { ConfigResourceTypes, ConfigSource, type Admin, type Kafka } from 'kafkajs';
import { dlqTopic } from '@vigil/contracts';

export interface TopicSpec {
  topic: string;
  partitions?: number;
  replicationFactor?: number;
  /** Also create `<topic>.dlq` with the same partitioning. Default true. */
  withDlq?: boolean;
  config?: Record<string, string>;
}

/** A topic or cluster operation the principal has no ACL for. */
export function isAuthorizationError(err: unknown): boolean {
  const e = err as { type?: string; errors?: unknown[]; message?: string } | undefined;
  if (!e) return false;
  if (typeof e.type === 'string' && /AUTHORIZATION_FAILED$/.test(e.type)) return true;
  if (Array.isArray(e.errors) && e.errors.some(isAuthorizationError)) return true;
  return typeof e.message === 'string' && /not authorized|authorization failed/i.test(e.message);
}

/** Topics are missing and this principal may not create them: provisioning has to run first. */
export class TopicsMissingError extends Error {
  constructor(readonly topics: string[]) {
    super(
      `topics missing and this principal may not create them (run npm run kafka:provision as the admin): ${topics.join(', ')}`,
    );
    this.name = 'TopicsMissingError';
  }
}

/**
 * Creates the topics (and their DLQs) that do not exist yet. An existing topic keeps its
 * partitions, but gets the `config` its spec declares (a topic made before a retention change
 * would otherwise keep the old policy for ever).
 *
 * Under ACLs a service principal usually has no CREATE or ALTER_CONFIGS: provisioning
 * (kafka:provision) made the topics with their configs. Then a missing topic is a
 * TopicsMissingError (the caller retries, not ready), and a config this principal may not apply
 * is reported through `warn` and left to provisioning.
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: TopicSpec[],
  defaults: { partitions: number; replicationFactor: number },
  warn: (message: string, meta: Record<string, unknown>) => void = () => undefined,
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = specs.flatMap((s) => {
      const base = {
        numPartitions: s.partitions ?? defaults.partitions,
        replicationFactor: s.replicationFactor ?? defaults.replicationFactor,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      };
      const out = [{ topic: s.topic, ...base }];
      if (s.withDlq !== false) out.push({ topic: dlqTopic(s.topic), ...base, configEntries: [] });
      return out;
    });
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length) {
      await admin.createTopics({ topics: missing, waitForLeaders: false }).catch((err: unknown) => {
        if (isAuthorizationError(err)) throw new TopicsMissingError(missing.map((t) => t.topic));
        // Another instance may have created them between list and create.
        if (!(err instanceof Error && /already exists/i.test(err.message))) throw err;
      });
      await waitForLeaders(
        admin,
        missing.map((t) => t.topic),
      );
    }
    for (const spec of specs.filter((s) => s.config && existing.has(s.topic))) {
      await applyTopicConfig(admin, spec.topic, spec.config!).catch((err: unknown) => {
        if (!isAuthorizationError(err)) throw err;
        warn(
          'topic config not checked: this principal may not describe or alter it (kafka:provision sets it)',
          { topic: spec.topic, config: spec.config },
        );
      });
    }
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Until every partition of `topics` has a leader. Not KafkaJS's waitForLeaders, which gives up
 * when the broker's metadata does not know a just-created topic yet (UNKNOWN_TOPIC_OR_PARTITION).
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`no leaders for ${topics.join(', ')} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How many partitions a topic has (it must exist). */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0].partitions.length;
  } finally {
    await admin.disconnect();
  }
}

/** Sets the declared entries on an existing topic, keeping its other overrides (AlterConfigs replaces them all). */
async function applyTopicConfig(admin: Admin, topic: string, wanted: Record<string, string>): Promise<void> {
  const { resources } = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    includeSynonyms: false,
  });
  const overrides = new Map(
    (resources[0]?.configEntries ?? [])
      .filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG && !e.isSensitive)
      .map((e) => [e.configName, e.configValue]),
  );
  if (Object.entries(wanted).every(([k, v]) => overrides.get(k) === v)) return;
  for (const [k, v] of Object.entries(wanted)) overrides.set(k, v);
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: ConfigResourceTypes.TOPIC,
        name: topic,
        configEntries: [...overrides].map(([name, value]) => ({ name, value })),
      },
    ],
  });
}
