// What every whole-system fault is judged by, once the load has stopped and everything drained:
// every login the gateway answered is exactly one audit row of the right action; every outbox event
// reached the topic; audit_logs holds exactly the topic's events and the alerts (none lost, none
// twice; a 503 answered while PostgreSQL was away is published directly); the outbox drained; every
// chain verifies; each brute-forced account alerted exactly once (by event id: a transition
// re-sent after a SIGKILL keeps its id) and nobody else; no DLQ holds a record.
import { loadKeyring } from '../../../apps/audit-writer/src/checkpoints/signing-keys';
import { verifyStore } from '../../../apps/audit-writer/src/verify/verify-store';
import { stagesCaughtUp, ofRule } from '../../security-monitor/support';
import { testKafka, waitFor } from '@vigil/testing';
import { dlqDepth } from '../support';
import type { OtherAnswer } from './login-load';
import { RULE, type WholeSystem } from './system';

export interface AccountingOptions {
  /** Answers other than 200/401 the fault explains (503 with a problem body while PostgreSQL is away). */
  expectedOther?: (o: OtherAnswer) => boolean;
}

async function recordsOn(topic: string): Promise<number> {
  const admin = testKafka('vigil-test-admin').admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function settleAndCount(sys: WholeSystem, opts: AccountingOptions = {}): Promise<void> {
  const load = sys.load!;
  const { db, topics, schemas, ids } = sys;
  await load.stop();
  console.log(`[fault] load stopped at ${sys.at()}: ${await sys.counted()}`);

  // Drained: the outbox published everything, the monitors read everything, every victim alerted.
  await waitFor(async () => (await sys.outbox()).pending === 0, {
    timeoutMs: 90_000,
    what: 'outbox drained',
  });
  await waitFor(
    () => stagesCaughtUp(db, schemas.monitor, [topics.auth, topics.repartition, topics.partials]),
    {
      timeoutMs: 90_000,
      what: 'every monitor stage caught up',
    },
  );
  const victimKeys = load.victimsDone.map((v) => ids.get(v)!);
  await waitFor(() => victimKeys.every((k) => sys.firing().some((a) => a.attributes.key.value === k)), {
    timeoutMs: 60_000,
    what: `${victimKeys.length} ${RULE} alerts`,
  }).catch((err) => {
    const seen = new Set(sys.firing().map((a) => a.attributes.key.value));
    const missing = load.victimsDone.filter((v) => !seen.has(ids.get(v)!));
    console.log(`[fault] missing alerts for ${missing.join(', ')}`);
    throw err;
  });
  // The monitors stop (cleanly) so no alert comes after the count; the collector reads to the end.
  for (const m of sys.monitors) await m.kill('SIGTERM');
  const alertTotal = await recordsOn(topics.alerts);
  const alerts = sys.alerts!;
  await waitFor(() => alerts.events.length >= alertTotal, { timeoutMs: 30_000, what: 'every alert read' });
  // The outbox relay has published everything (drained): every record of the auth topic is read too.
  const publishedTotal = await recordsOn(topics.auth);
  const published = sys.published!;
  await waitFor(() => published.events.length >= publishedTotal, {
    timeoutMs: 30_000,
    what: 'every auth event read',
  });

  // The writers have every outbox event and every alert; then they stop too.
  const { rows: outboxRows } = await db.query<{ event_id: string }>(
    `SELECT event_id::text FROM "${schemas.gw}".outbox`,
  );
  const onTopic = new Set(published.events.map((e) => e.id));
  const notPublished = outboxRows.filter((r) => !onTopic.has(r.event_id));
  // Events the gateway published directly because the outbox (PostgreSQL) was away: its 5xx events.
  const inOutbox = new Set(outboxRows.map((r) => r.event_id));
  const direct = published.events.filter((e) => !inOutbox.has(e.id));
  const expectedIds = new Set([...onTopic, ...alerts.events.map((a) => a.id)]);
  await waitFor(async () => (await sys.auditRows()) >= expectedIds.size, {
    timeoutMs: 90_000,
    what: `${expectedIds.size} rows in audit_logs`,
  });
  for (const w of sys.writers) await w.kill('SIGTERM');
  const o = await sys.outbox();
  const { rows: audit } = await db.query<{ event_id: string; request_id: string | null; action: string }>(
    `SELECT event_id::text, request_id, action FROM "${schemas.writer}".audit_logs`,
  );
  const auditIds = audit.map((r) => r.event_id);

  const byRequest = new Map<string, string[]>();
  for (const r of audit)
    if (r.request_id) byRequest.set(r.request_id, [...(byRequest.get(r.request_id) ?? []), r.action]);
  const wrong = load.answered.filter((a) => {
    const actions = byRequest.get(a.requestId) ?? [];
    return actions.length !== 1 || actions[0] !== (a.status === 200 ? 'AUTH_LOGIN' : 'FAILED_AUTH_LOGIN');
  });
  const leftEvents = load.unanswered.filter((u) => byRequest.has(u.requestId)).length;
  const firingIds = new Map<string, Set<string>>();
  for (const a of sys.firing())
    firingIds.set(a.attributes.key.value, (firingIds.get(a.attributes.key.value) ?? new Set()).add(a.id));
  const perKey = new Map([...firingIds].map(([k, set]) => [k, set.size]));
  const redelivered = alerts.events.length - new Set(alerts.events.map((a) => a.id)).size;
  const dlq = await dlqDepth(Object.values(topics));
  const report = await verifyStore(db, schemas.writer, loadKeyring(sys.auditKeys));
  const unexplained = load.other.filter((x) => !opts.expectedOther?.(x));
  console.log(
    `[fault] at the end (${sys.at()}): ${load.summary()} (${leftEvents} of the unanswered left an event), ` +
      `${load.other.length - unexplained.length} answers the faults explain (${[...new Set(load.other.map((x) => x.status))].join(', ') || 'none'}); ` +
      `outbox ${o.total} events (${o.pending} pending, ${o.failed} failed, ${notPublished.length} not on the topic), ${direct.length} published directly (${[...new Set(direct.map((e) => e.type))].join(', ') || 'none'}), ${alertTotal} alert records on the topic (${redelivered} redelivered copies with the same event id), ` +
      `audit_logs ${audit.length} rows (${new Set(auditIds).size} distinct event ids), ` +
      `${load.victimsDone.length} accounts brute-forced, ${perKey.size} alerted (${[...perKey.values()].filter((n) => n > 1).length} more than once), DLQ ${dlq}, ` +
      `${report.chains.length} chains: ${report.validRows}/${report.rows} rows valid`,
  );
  for (const [key, n] of perKey) {
    if (n === 1) continue;
    const name = [...ids].find(([, id]) => id === key)?.[0];
    const tries = load.answered
      .filter((a) => a.user === name)
      .map((a) => `${a.status}@${((a.at - sys.t0) / 1000).toFixed(1)}`);
    const fired = ofRule(alerts.events, RULE, key).map((a) => ({
      id: a.id,
      at: a.occurredAt,
      ...a.attributes,
    }));
    console.log(
      `[fault] ${name} (${key}) alerted ${n} times: ${JSON.stringify(fired)}\nattempts: ${tries.join(' ')}`,
    );
  }

  expect(unexplained).toEqual([]);
  expect(wrong).toEqual([]);
  expect(load.answered.length).toBeGreaterThan(100);
  expect(o).toMatchObject({ pending: 0, failed: 0 });
  expect(notPublished).toEqual([]);
  // Only what the faults explain bypassed the outbox: a 5xx answered while PostgreSQL was away.
  expect(
    direct.filter((e) => e.type !== 'SERVER_ERROR' || (e.attributes as { status?: number }).status !== 503),
  ).toEqual([]);
  // No event lost, none duplicated: audit_logs holds exactly the published events and the alerts.
  expect(auditIds.length).toBe(new Set(auditIds).size);
  expect([...auditIds].sort()).toEqual([...expectedIds].sort());
  expect(report.chains.flatMap((c) => c.findings)).toEqual([]);
  expect(report).toMatchObject({ ok: true, rows: audit.length, validRows: audit.length });
  // Each brute-forced account's alert exactly once, and none for anyone else.
  expect(Object.fromEntries(perKey)).toEqual(Object.fromEntries(victimKeys.map((k) => [k, 1])));
  expect(dlq).toBe(0);
}
