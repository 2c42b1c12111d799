import { readFileSync } from 'node:fs';
import { parseWitnessLine, witnessRecordKey, type WitnessRecord } from '@vigil/chain';
import { decodeEvent, Topics } from '@vigil/contracts';
import { readTopic, type KafkaClient, type ReadTopicProgress } from '@vigil/kafka';

/** What a witness said, and what of it could not be read. */
export interface Witness {
  /** Where it came from: the topic, or a file. */
  source: string;
  records: WitnessRecord[];
  /** Messages or lines that were not a checkpoint or a retention cut (named, never fatal). */
  unreadable: number;
}

/** A published event as a witness record; undefined for anything else on the topic. */
export function witnessRecordOf(bytes: Buffer | null): WitnessRecord | undefined {
  const decoded = decodeEvent(bytes);
  if (!decoded.ok) return undefined;
  const e = decoded.event;
  if (e.type === 'AUDIT_CHECKPOINT') return { kind: 'checkpoint', ...e.attributes };
  if (e.type === 'AUDIT_RETENTION_CUT') return { kind: 'retention_cut', ...e.attributes };
  return undefined;
}

/**
 * Reads audit.checkpoints.v1 from the beginning up to the high watermarks taken now. Read it
 * before the database snapshot: everything published by then was stored first, so a record the
 * snapshot lacks was removed, not merely not yet written.
 */
export async function witnessFromTopic(
  kafka: KafkaClient,
  onProgress?: (p: ReadTopicProgress) => void,
): Promise<Witness> {
  const records = new Map<string, WitnessRecord>();
  let unreadable = 0;
  await readTopic(
    kafka,
    Topics.AUDIT_CHECKPOINTS,
    ({ message }) => {
      const r = witnessRecordOf(message.value);
      if (r) records.set(witnessRecordKey(r), r);
      else unreadable++;
    },
    { onProgress },
  );
  return { source: Topics.AUDIT_CHECKPOINTS, records: [...records.values()], unreadable };
}

/** An exported copy (JSON lines, see witness.cli.ts): the offline auditor's check. */
export function witnessFromFile(file: string): Witness {
  const records = new Map<string, WitnessRecord>();
  let unreadable = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = parseWitnessLine(line);
      records.set(witnessRecordKey(r), r);
    } catch {
      unreadable++;
    }
  }
  return { source: file, records: [...records.values()], unreadable };
}

/**
 * A store holds the chains of the topics it ingests (`<topic>:<partition>`); a witness of a
 * shared checkpoint topic may also carry other stores' chains, which are not this store's to answer for.
 */
export function chainInScope(chainId: string, topics: string[]): boolean {
  const cut = chainId.lastIndexOf(':');
  return cut > 0 && topics.includes(chainId.slice(0, cut));
}
