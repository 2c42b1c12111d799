import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
} from 'kafkajs';
import { dlqTopic, MonitorTopics, SocTopics, Topics } from '@vigil/contracts';
import type { TopicSpec } from './topics';

/*
 * The bus as DESIGN.md's topic table (and the code that produces and consumes) implies it: the
 * topics with their configs, and per service principal the least it needs. Applied by
 * provision.ts (npm run kafka:provision) as the admin; services no longer need CREATE.
 */

/** Principals of the local broker (deploy/local/kafka.sh) and of compose; override with KAFKA_PRINCIPAL_<SERVICE>. */
export const PRINCIPALS = {
  admin: 'vigil-admin',
  gateway: 'vigil-gateway',
  writer: 'vigil-audit',
  monitor: 'vigil-monitor',
  retention: 'vigil-retention',
} as const;
export type ServicePrincipal = Exclude<keyof typeof PRINCIPALS, 'admin'>;

export const MONITOR_REPARTITION_TOPIC = MonitorTopics.IP_REPARTITION;
export const MONITOR_PARTIALS_TOPIC = MonitorTopics.GLOBAL_PARTIALS;
const DAY_MS = 86_400_000;

/**
 * Every topic (each with its DLQ). The configs are the ones the services declare (audit-writer's
 * CHECKPOINT_TOPIC_SPEC, security-monitor's internal stages); test/foundation/kafka-acl.test.ts
 * checks they agree.
 */
export const BUS_TOPICS: TopicSpec[] = [
  { topic: Topics.AUTH_EVENTS },
  { topic: Topics.OPS_EVENTS },
  { topic: Topics.SECURITY_ALERTS },
  { topic: Topics.SECURITY_ACTIONS },
  {
    topic: Topics.AUDIT_CHECKPOINTS,
    config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(7 * DAY_MS) },
  },
  { topic: MONITOR_REPARTITION_TOPIC, config: { 'retention.ms': String(DAY_MS) } },
  { topic: MONITOR_PARTIALS_TOPIC, partitions: 1, config: { 'retention.ms': String(DAY_MS) } },
  // SOC delivery (security-monitor README): the alerts again as OCSF and ECS, for SIEM connectors.
  { topic: SocTopics.ALERTS_OCSF },
  { topic: SocTopics.ALERTS_ECS },
  // The escalation webhook's dead letters are a DLQ themselves: no DLQ of their own.
  { topic: SocTopics.WEBHOOK_DLQ, withDlq: false },
];

/**
 * What a SIEM connector may read (KAFKA_PRINCIPAL_SIEM to `npm run kafka:provision`): the alerts in
 * the three formats, under consumer groups named `vigil-siem*`. It writes nothing.
 */
export const SIEM_READER_RIGHTS: ServiceRights = {
  write: [],
  read: [Topics.SECURITY_ALERTS, SocTopics.ALERTS_OCSF, SocTopics.ALERTS_ECS],
  groups: ['vigil-siem'],
};

export interface ServiceRights {
  /** Topics it produces to (its consumers' DLQs are added: each consumer writes its own). */
  write: string[];
  /** Topics it consumes. */
  read: string[];
  /** Consumer group ids it uses, as prefixes (the monitor's stages are `<group>.<stage>`). */
  groups: string[];
}

/** From the code: who produces and who consumes what (grep publish/send/subscribe in apps/). */
export const SERVICE_RIGHTS: Record<ServicePrincipal, ServiceRights> = {
  // outbox relay + its auth-events sink; its DEPLOYMENT/SCHEMA_MIGRATION announcements (every
  // service makes them, libs/runtime ReleaseAnnouncer); consumes the monitor's security actions
  gateway: {
    write: [Topics.AUTH_EVENTS, Topics.OPS_EVENTS],
    read: [Topics.SECURITY_ACTIONS],
    groups: ['vigil-auth-gateway'],
  },
  // checkpoints; the signer's SEV-1 chain-regression alert; its API's own auth events (401/403) and AUDIT_LOG_READ
  writer: {
    write: [Topics.AUDIT_CHECKPOINTS, Topics.SECURITY_ALERTS, Topics.AUTH_EVENTS, Topics.OPS_EVENTS],
    read: [Topics.AUTH_EVENTS, Topics.OPS_EVENTS, Topics.SECURITY_ALERTS],
    groups: ['vigil-audit'],
  },
  // alerts and actions; its release announcements; its internal stages it both writes and reads;
  // the SOC formats of its alerts and the escalation webhook's dead letters
  monitor: {
    write: [
      Topics.SECURITY_ALERTS,
      Topics.OPS_EVENTS,
      Topics.SECURITY_ACTIONS,
      MONITOR_REPARTITION_TOPIC,
      MONITOR_PARTIALS_TOPIC,
      SocTopics.ALERTS_OCSF,
      SocTopics.ALERTS_ECS,
      SocTopics.WEBHOOK_DLQ,
    ],
    // security.alerts.v1: SOC delivery reads back the other services' alerts (the writer's chain regression)
    read: [Topics.AUTH_EVENTS, MONITOR_REPARTITION_TOPIC, MONITOR_PARTIALS_TOPIC, Topics.SECURITY_ALERTS],
    groups: ['vigil-monitor'],
  },
  // its ops events (RETENTION_RUN, ARCHIVE_*, LEGAL_HOLD_*, BACKUP_DONE ...); its admin API's
  // revocation deny-list reads auth events
  retention: { write: [Topics.OPS_EVENTS], read: [Topics.AUTH_EVENTS], groups: ['vigil-retention'] },
};

const allow = (
  principal: string,
  resourceType: AclResourceTypes,
  resourceName: string,
  operation: AclOperationTypes,
  patternType = ResourcePatternTypes.LITERAL,
): AclEntry => ({
  principal: `User:${principal}`,
  host: '*',
  resourceType,
  resourceName,
  resourcePatternType: patternType,
  operation,
  permissionType: AclPermissionTypes.ALLOW,
});

export interface AclPlanOptions {
  principals?: Partial<Record<ServicePrincipal, string>>;
  /**
   * Test runs only (provision --test-prefix): the services may also create and use topics named
   * with this prefix and any consumer group, as the suite gives each test its own topics.
   */
  testTopicPrefix?: string;
  /** Maps each topic name (tests apply the plan to renamed copies of the topics). */
  topicName?: (topic: string) => string;
  /** A SIEM connector's principal: it gets SIEM_READER_RIGHTS (read-only). */
  siemPrincipal?: string;
}

/** The ACL entries for every service principal (the admin is a super user). */
export function aclPlan(opts: AclPlanOptions = {}): AclEntry[] {
  const out: AclEntry[] = [];
  const grants: Array<[string, ServiceRights]> = (
    Object.entries(SERVICE_RIGHTS) as Array<[ServicePrincipal, ServiceRights]>
  ).map(([service, rights]) => [opts.principals?.[service] ?? PRINCIPALS[service], rights]);
  if (opts.siemPrincipal) grants.push([opts.siemPrincipal, SIEM_READER_RIGHTS]);
  for (const [who, rights] of grants) {
    const name = opts.topicName ?? ((t: string) => t);
    const write = new Set([...rights.write, ...rights.read.map(dlqTopic)].map(name));
    // DESCRIBE (metadata) and DESCRIBE_CONFIGS on every topic it names, so its start-up check sees them.
    const named = new Set([...rights.write, ...rights.read].flatMap((t) => [t, dlqTopic(t)]).map(name));
    for (const t of write) out.push(allow(who, AclResourceTypes.TOPIC, t, AclOperationTypes.WRITE));
    for (const t of rights.read)
      out.push(allow(who, AclResourceTypes.TOPIC, name(t), AclOperationTypes.READ));
    for (const t of named) {
      out.push(allow(who, AclResourceTypes.TOPIC, t, AclOperationTypes.DESCRIBE));
      out.push(allow(who, AclResourceTypes.TOPIC, t, AclOperationTypes.DESCRIBE_CONFIGS));
    }
    // READ to consume; DELETE so a service removes the throwaway groups it makes under its prefix
    // (the revocation feed of @vigil/auth: `<group>.revocation.<uuid>`, deleted at stop).
    for (const g of rights.groups) {
      out.push(allow(who, AclResourceTypes.GROUP, g, AclOperationTypes.READ, ResourcePatternTypes.PREFIXED));
      out.push(
        allow(who, AclResourceTypes.GROUP, g, AclOperationTypes.DELETE, ResourcePatternTypes.PREFIXED),
      );
    }
    if (opts.testTopicPrefix) {
      out.push(
        allow(
          who,
          AclResourceTypes.TOPIC,
          opts.testTopicPrefix,
          AclOperationTypes.ALL,
          ResourcePatternTypes.PREFIXED,
        ),
      );
      out.push(allow(who, AclResourceTypes.GROUP, '*', AclOperationTypes.READ));
    }
  }
  return out;
}
