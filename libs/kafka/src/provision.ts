import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
  type Kafka,
} from 'kafkajs';
import { aclPlan, BUS_TOPICS, type AclPlanOptions } from './bus-plan';
import { ensureTopics } from './topics';

export interface ProvisionResult {
  topicsCreated: string[];
  aclsCreated: number;
  aclsRemoved: number;
}

const key = (a: AclEntry) =>
  [
    a.principal,
    a.host,
    a.resourceType,
    a.resourceName,
    a.resourcePatternType,
    a.operation,
    a.permissionType,
  ].join('|');

/**
 * As the admin principal: creates the bus's topics (and DLQs) with their configs, and makes the
 * service principals' ACLs exactly the plan's (stale entries of those principals are removed, so
 * a right taken out of the plan is taken from the cluster too). Idempotent.
 */
export async function provisionBus(
  kafka: Kafka,
  opts: AclPlanOptions & { partitions: number; replicationFactor: number },
): Promise<ProvisionResult> {
  const topicsCreated = await ensureTopics(kafka, BUS_TOPICS, {
    partitions: opts.partitions,
    replicationFactor: opts.replicationFactor,
  });
  const wanted = aclPlan(opts);
  const principals = new Set(wanted.map((a) => a.principal));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const existing = resources.flatMap((r) =>
      r.acls.map(
        (a) =>
          ({
            ...a,
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            resourcePatternType: r.resourcePatternType,
          }) as AclEntry,
      ),
    );
    const have = new Set(existing.map(key));
    const want = new Set(wanted.map(key));
    const toCreate = wanted.filter((a) => !have.has(key(a)));
    const toRemove = existing.filter((a) => principals.has(a.principal) && !want.has(key(a)));
    if (toCreate.length) await admin.createAcls({ acl: toCreate });
    if (toRemove.length) await admin.deleteAcls({ filters: toRemove });
    return { topicsCreated, aclsCreated: toCreate.length, aclsRemoved: toRemove.length };
  } finally {
    await admin.disconnect();
  }
}
