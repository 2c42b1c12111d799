/** The topology in one process lives in production code (the rules check runs fixtures through it); specs import it from here too. */
export { partitionOf, runPartitioned, type PartitionedRunOptions } from '../engine/partitioned-run';
