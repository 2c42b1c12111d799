// Issue 19 item 3: `npm run monitor:replay` on the real broker. A realistic stream (seeds 001-36 /
// 001-32 brute force, 000-18 stuffing, spraying and success after failures, 000-20 token reuse,
// one account from many IPs) goes through the live monitor; the replay of the same stored topic,
// from offset 0 and from an ISO time, gives byte-identical alert events (ids, windows, counts,
// statuses); a replay with --to is a prefix; a changed rules file gives its extra alert; and no
// replay touches the live alerts and actions topics, the live group or the live partition_state rows.
import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('vigil-test');
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from 'pg';
import { createEvent, decodeEvent, type EventEnvelope } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import {
  committedOffsets,
  createTopics,
  readMessages,
  testKafka,
  uniqueTopic,
  waitFor,
} from '@vigil/testing';
import { replayMain } from '../../apps/security-monitor/src/replay/replay.cli';
import { run as runVigil } from '../../apps/vigil-cli/src/program';
import { runReplay, type ReplaySummary } from '../../apps/security-monitor/src/replay/replay';
import {
  bootMonitor,
  collect,
  failed,
  loginOk,
  monitorFixture,
  ofRule,
  stagesCaughtUp,
  type AlertEvent,
  type MonitorApp,
} from './support';

type Fixture = Awaited<ReturnType<typeof monitorFixture>>;

// Three hours back: every window (the longest is an hour) has closed by the time the stream is read.
// On a 10-minute boundary: the baseline rule counts aligned 10-minute periods, and the 80-account
// burst at 3300-3360 s must fall inside one (unaligned, one run in ten split it across two periods,
// neither above the cold-start 60 accounts, and failing-accounts-above-baseline stayed quiet).
const PERIOD_MS = 600_000;
const BASE = Math.floor((Date.now() - 3 * 3600_000) / PERIOD_MS) * PERIOD_MS;
const at = (s: number) => new Date(BASE + s * 1000);

function stream(): EventEnvelope[] {
  const all: EventEnvelope[] = [];
  // Seed 001-36 / 001-32: a burst on one account, 12 failures in a minute from one IP.
  for (let i = 0; i < 12; i++) all.push(failed(at(i * 5), 'mallory@example.com', '203.0.113.13'));
  // A near miss: 5 failures in 40 s (the warning is > 5).
  for (let i = 0; i < 5; i++) all.push(failed(at(100 + i * 10), 'near.miss@example.com', '198.51.100.77'));
  // Seed 000-18, credential stuffing: one IP, 20 accounts, one try each.
  for (let i = 0; i < 20; i++) all.push(failed(at(300 + i * 3), `stuffed${i}@example.com`, '198.51.100.66'));
  // Seed 000-18, password spraying: one IP, 6 accounts, 4 tries each over ten minutes.
  for (let i = 0; i < 24; i++)
    all.push(failed(at(900 + i * 25), `sprayed${i % 6}@example.com`, '203.0.113.77'));
  // Seed 000-18 / 004-48: six failures, then the account logs in.
  for (let i = 0; i < 6; i++) all.push(failed(at(2000 + i * 10), 'u-victor', '192.0.2.10'));
  all.push(
    createEvent('AUTH_LOGIN', {
      producer: 'auth-gateway',
      occurredAt: at(2080),
      subject: { userId: 'u-victor' },
      source: { ip: '192.0.2.10' },
      outcome: 'success',
      attributes: {},
    }),
  );
  // Seed 000-20: a refresh token used twice.
  all.push(
    createEvent('TOKEN_REFRESH_REUSE', {
      producer: 'auth-gateway',
      occurredAt: at(2500),
      subject: { userId: 'u-42' },
      source: { ip: '203.0.113.66' },
      outcome: 'denied',
      reason: 'refresh_token_reused',
      attributes: { familyId: 'fam-42', familyRevoked: true },
    }),
  );
  // One account from seven IPs in six minutes.
  for (let i = 0; i < 7; i++) all.push(failed(at(2700 + i * 60), 'ivan@example.com', `192.0.2.${100 + i}`));
  // Background: ordinary logins all along.
  for (let i = 0; i < 60; i++) all.push(loginOk(at(i * 60 + 7), `u-${i}`));
  return all.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
}

/** Runs the replay command in-process (the CLI's main) with the fixture's environment. */
async function replay(
  fx: Fixture,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; lines: string[]; stderr: string; summary?: ReplaySummary }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-replay-'));
  const out = path.join(dir, 'alerts.jsonl');
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d) => (err += d));
  const { code, summary } = await replayMain({
    argv: [...args, '--out', out],
    env: { ...process.env, ...fx.env, ...env },
    stdout: new PassThrough(),
    stderr,
  });
  let text = '';
  try {
    text = readFileSync(out, 'utf8');
  } catch {
    // no output file when refused
  }
  return { code, lines: text.split('\n').filter(Boolean), stderr: err, summary };
}

/** Alerts that fired and have not resolved (yet). */
const openIn = (lines: string[]): AlertEvent[] => {
  const events = lines.map((l) => JSON.parse(l) as AlertEvent);
  const resolved = new Set(
    events.filter((a) => a.attributes.status === 'resolved').map((a) => a.attributes.alertId),
  );
  return events.filter((a) => a.attributes.status === 'firing' && !resolved.has(a.attributes.alertId));
};

const byId = (lines: string[]) =>
  [...lines].sort((a, b) => (JSON.parse(a).id as string).localeCompare(JSON.parse(b).id as string));

async function recordsOn(topics: string[]): Promise<Record<string, number>> {
  const admin = testKafka('vigil-test-admin').admin();
  await admin.connect();
  try {
    const out: Record<string, number> = {};
    for (const t of topics)
      out[t] = (await admin.fetchTopicOffsets(t)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    return out;
  } finally {
    await admin.disconnect();
  }
}

/**
 * The live monitor over the stored stream, until every stage has saved the end of its input and
 * every alert has resolved (the idle clock moves the quiet stream's clocks to the wall clock);
 * then stopped, so nothing live moves while the replays run. Its alert events, each as JSON.
 */
async function runLive(fx: Fixture, db: Client, idleSeconds = 3): Promise<string[]> {
  const live: MonitorApp = await bootMonitor(fx, { MONITOR_IDLE_SECONDS: String(idleSeconds) });
  const alerts = await collect(fx.alerts);
  try {
    // Every alert whose window has passed has resolved (a rule with a day-long window, e.g. the
    // off-hours profile's, stays open: live and replay alike, its window has not passed yet).
    const settled = () => {
      const firing = alerts.events.filter(
        (a) => a.attributes.status === 'firing' && (a.attributes.windowSeconds ?? 0) <= 3600,
      );
      const resolved = new Set(
        alerts.events.filter((a) => a.attributes.status === 'resolved').map((a) => a.attributes.alertId),
      );
      return firing.length > 0 && firing.every((a) => resolved.has(a.attributes.alertId));
    };
    await waitFor(
      async () =>
        settled() && (await stagesCaughtUp(db, fx.db.schema, [fx.input, fx.repartition, fx.partials])),
      { timeoutMs: 90_000, what: 'the live monitor to raise and resolve its alerts' },
    );
    let seen = -1;
    await waitFor(
      () => {
        const same = alerts.events.length === seen;
        seen = alerts.events.length;
        return same;
      },
      { timeoutMs: 30_000, intervalMs: 1500, what: 'no more live alerts' },
    );
  } finally {
    await live.close();
    await alerts.stop();
  }
  return alerts.events.map((e: AlertEvent) => JSON.stringify(e));
}

async function publishAll(topic: string, events: EventEnvelope[], malformedAfter?: number): Promise<void> {
  const producer = new EventProducer(testKafka('vigil-test-producer'));
  await producer.connect();
  try {
    await producer.publish(topic, events.slice(0, malformedAfter));
    if (malformedAfter !== undefined) {
      // A malformed record: the live monitor sends it to the DLQ, the replay counts and lists it.
      await producer.send(topic, [{ key: 'k', value: Buffer.from('{"type":"FAILED_AUTH_LOGIN"}') }]);
      await producer.publish(topic, events.slice(malformedAfter));
    }
  } finally {
    await producer.disconnect();
  }
}

describe('monitor:replay (issue 19 item 3)', () => {
  let fx: Fixture;
  let db: Client;
  let events: EventEnvelope[];
  /** The live monitor's alert events, each as JSON (the bytes the replay must write). */
  let liveLines: string[];
  let stateRows: () => Promise<unknown[]>;
  let stateBefore: unknown[];
  let topicsBefore: Record<string, number>;
  let liveCommitted: Record<number, string>;

  beforeAll(async () => {
    fx = await monitorFixture('replay', 1);
    db = new Client({ connectionString: fx.db.url });
    await db.connect();
    events = stream();
    await publishAll(fx.input, [...events, loginOk(at(3700), 'u-last')], events.length);
    liveLines = await runLive(fx, db);

    stateRows = async () =>
      (
        await db.query(
          `SELECT group_id, topic, partition, input_offset::text, rules_version, md5(state::text) AS state, saved_at
             FROM "${fx.db.schema}".partition_state ORDER BY group_id, topic, partition`,
        )
      ).rows;
    stateBefore = await stateRows();
    topicsBefore = await recordsOn([fx.alerts, fx.actions, fx.repartition, fx.partials]);
    liveCommitted = await committedOffsets(fx.env.KAFKA_GROUP_ID, fx.input);
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await fx?.db.drop();
  });

  it("seeds 001-36, 001-32, 000-18, 000-20: the live monitor raised the stream's alerts (what the replays are held to)", () => {
    const raised = liveLines.map((l) => JSON.parse(l) as AlertEvent);
    for (const [rule, key] of [
      ['failed-logins-per-user-1m-warning', 'mallory@example.com'],
      ['failed-logins-per-user-1m-critical', 'mallory@example.com'],
      ['credential-stuffing-per-ip', '198.51.100.66'],
      ['password-spraying-per-ip', '203.0.113.77'],
      ['failures-then-success-per-user', 'u-victor'],
      ['refresh-token-reuse', 'u-42'],
      ['one-account-many-ips', 'ivan@example.com'],
      ['failed-logins-per-ip-1h', '198.51.100.66'],
    ])
      expect(ofRule(raised, rule, key).map((a) => a.attributes.status)).toEqual(
        expect.arrayContaining(['firing', 'resolved']),
      );
    expect(raised.filter((a) => a.attributes.key.value === 'near.miss@example.com')).toEqual([]);
    expect(raised.filter((a) => a.attributes.key.kind === 'global')).toEqual([]);
  });

  it('replay from offset 0 == replay from an ISO time before the first event == live, byte for byte after sorting by event id', async () => {
    const fromOffset = await replay(fx, ['--from', '0', '--quiet']);
    expect(fromOffset.stderr).not.toContain('monitor:replay failed');
    expect(fromOffset.code).toBe(0);
    const fromTime = await replay(fx, ['--from', new Date(BASE - 60_000).toISOString()]);
    expect(fromTime.code).toBe(0);

    expect(byId(fromOffset.lines)).toEqual(byId(liveLines));
    expect(byId(fromTime.lines)).toEqual(byId(fromOffset.lines));
    // Deterministic to the order of the lines too.
    expect(fromTime.lines).toEqual(fromOffset.lines);
    // Every line is a valid SECURITY_ALERT, the contract's decoder says.
    for (const l of fromOffset.lines)
      expect(decodeEvent(l)).toMatchObject({ ok: true, event: { type: 'SECURITY_ALERT' } });

    const s = fromOffset.summary!;
    expect(s.records).toBe(events.length + 2);
    expect(s.events).toBe(events.length + 1);
    expect(s.malformed).toEqual({
      count: 1,
      listed: [
        {
          partition: 0,
          offset: String(events.length),
          reason: 'schema_violation',
          detail: expect.any(String),
        },
      ],
    });
    expect(s.lateDropped).toEqual({ user: 0, ip: 0 });
    // Open at the end as live left them: only rules whose window has not passed yet.
    expect(s.stillOpen).toBe(openIn(liveLines).length);
    for (const a of openIn(liveLines)) expect(a.attributes.windowSeconds).toBeGreaterThan(3 * 3600);
    expect(s.alerts['credential-stuffing-per-ip']).toEqual({ firing: 1, updated: 0, resolved: 1 });
    expect(fromTime.stderr).toMatch(/records \(\d+%\), \d+ records\/s/); // progress
    expect(fromTime.stderr).toContain('alert transitions');
    expect(fromTime.stderr).toContain('malformed: partition 0 offset');
  }, 120_000);

  it('a replay with --to in the middle gives a prefix of the whole replay', async () => {
    const cut = Math.floor(events.length / 2);
    const cutTime = Date.parse(events[cut].occurredAt);
    const whole = (await replay(fx, ['--from', '0', '--quiet'])).lines;
    const half = await replay(fx, ['--from', '0', '--to', String(cut), '--quiet']);
    expect(half.code).toBe(0);
    expect(half.summary!.records).toBe(cut);
    expect(half.lines.length).toBeGreaterThan(0);
    expect(half.lines.length).toBeLessThan(whole.length);
    // Everything it says, the whole replay says identically ...
    expect(whole).toEqual(expect.arrayContaining(half.lines));
    // ... and everything the whole replay raised before the cut (firing, updated) or resolved
    // behind the cut's watermark, it says too: no resolution is invented at the cut (end clock none).
    const expected = whole.filter((l) => {
      const a = JSON.parse(l) as AlertEvent;
      const t = Date.parse(a.occurredAt);
      return a.attributes.status === 'resolved' ? t <= cutTime - 30_000 : t < cutTime;
    });
    expect(byId(half.lines)).toEqual(byId(expected));
    expect(half.summary!.stillOpen).toBeGreaterThan(0);
  }, 120_000);

  it('a changed rules file (one threshold lowered, version bumped) gives the extra alert, and the replays touched no live topic, group or partition_state row', async () => {
    const rules = JSON.parse(readFileSync(fx.rulesFile, 'utf8'));
    const rule = rules.rules.find((r: { id: string }) => r.id === 'failed-logins-per-user-1m-warning');
    rule.condition.gt = 4;
    rule.version += 1;
    rules.version += 1;
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'vigil-rules-')), 'lowered.rules.json');
    writeFileSync(file, JSON.stringify(rules));
    const changed = await replay(fx, ['--from', 'earliest', '--rules', file, '--quiet']);
    expect(changed.code).toBe(0);

    const ofWarning = (lines: string[], yes: boolean) =>
      lines.filter((l) => (JSON.parse(l).attributes.ruleId === rule.id) === yes);
    // The other rules: byte-identical to live.
    expect(byId(ofWarning(changed.lines, false))).toEqual(byId(ofWarning(liveLines, false)));
    // The lowered rule: every key live alerted on, plus the near miss (5 failures > 4), at the new version.
    const keys = (lines: string[]) =>
      [...new Set(ofWarning(lines, true).map((l) => JSON.parse(l).attributes.key.value as string))].sort();
    expect(keys(changed.lines)).toEqual([...keys(liveLines), 'near.miss@example.com'].sort());
    const nearMiss = ofWarning(changed.lines, true)
      .map((l) => JSON.parse(l) as AlertEvent)
      .filter((a) => a.attributes.key.value === 'near.miss@example.com');
    expect(nearMiss.map((a) => [a.attributes.status, a.attributes.count, a.attributes.ruleVersion])).toEqual([
      ['firing', 5, rule.version],
      ['resolved', 5, rule.version],
    ]);

    // Nothing live was touched by any replay of this suite.
    expect(await recordsOn([fx.alerts, fx.actions, fx.repartition, fx.partials])).toEqual(topicsBefore);
    expect(await stateRows()).toEqual(stateBefore);
    expect(await committedOffsets(fx.env.KAFKA_GROUP_ID, fx.input)).toEqual(liveCommitted);
    // Its throwaway consumer groups are gone.
    const admin = testKafka('vigil-test-admin').admin();
    await admin.connect();
    const { groups } = await admin.listGroups();
    await admin.disconnect();
    expect(groups.map((g) => g.groupId).filter((g) => g === changed.summary!.groupId)).toEqual([]);
  }, 120_000);

  it('--publish writes to the topic named, refuses the live alerts topic without --yes-live, and never takes the actions topic', async () => {
    const refusedLive = await replay(fx, ['--from', '0', '--publish', '--publish-topic', fx.alerts]);
    expect(refusedLive.code).toBe(2);
    expect(refusedLive.stderr).toContain('is the live alerts topic');
    const refusedActions = await replay(fx, [
      '--from',
      '0',
      '--publish',
      '--publish-topic',
      fx.actions,
      '--yes-live',
    ]);
    expect(refusedActions.code).toBe(2);
    expect(refusedActions.stderr).toContain('never publishes actions');
    expect(await recordsOn([fx.alerts, fx.actions])).toEqual({
      [fx.alerts]: topicsBefore[fx.alerts],
      [fx.actions]: topicsBefore[fx.actions],
    });

    const scratch = uniqueTopic('replay.scratch');
    const missing = await replay(fx, ['--from', '0', '--publish', '--publish-topic', scratch]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`topic ${scratch} does not exist`);
    await createTopics([scratch], 1);
    const published = await replay(fx, ['--from', '0', '--quiet', '--publish', '--publish-topic', scratch]);
    expect(published.code).toBe(0);
    const got = await readMessages(scratch, published.lines.length);
    expect(
      byId(
        got.map((m) =>
          JSON.stringify(decodeEvent(m.value).ok && (decodeEvent(m.value) as { event: unknown }).event),
        ),
      ),
    ).toEqual(byId(published.lines));
  }, 120_000);

  it('configuration errors exit 2 with a clear message: bad --from, unknown topic, a rules file with problems', async () => {
    const bad = await replay(fx, ['--from', 'yesterday']);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toContain('--from "yesterday": expected an offset for every partition');
    const tooFar = await replay(fx, ['--from', '100000']);
    expect(tooFar).toMatchObject({ code: 2 });
    expect(tooFar.stderr).toMatch(/--from: partition 0 of \S+ ends at offset \d+; 100000 is beyond it/);
    const unknown = await replay(fx, ['--from', '0', '--topic', 'test.replay.no-such-topic']);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toContain('topic test.replay.no-such-topic does not exist');
    const rules = JSON.parse(readFileSync(fx.rulesFile, 'utf8'));
    rules.rules[0].severity = 'catastrophic';
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'vigil-rules-')), 'bad.rules.json');
    writeFileSync(file, JSON.stringify(rules));
    const refused = await replay(fx, ['--from', '0', '--rules', file]);
    expect(refused).toMatchObject({ code: 2 });
    expect(refused.stderr).toContain(`rules file ${file} refused:`);
    expect(refused.stderr).toContain(`rule ${rules.rules[0].id}.severity`);
  });

  it('a broker that is down: retried with backoff, then exit 1 saying so', async () => {
    const down = await replay(fx, ['--from', '0', '--connect-attempts', '2'], {
      KAFKA_BROKERS: '127.0.0.1:1',
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('Kafka not reachable (attempt 1');
    expect(down.stderr).toContain('Kafka unreachable after 2 attempt(s)');
  }, 60_000);

  it('stopped mid-way (Ctrl-C): it ends with an error and leaves no consumer group behind', async () => {
    const stop = new AbortController();
    const groups: string[] = [];
    const run = runReplay(testKafka('vigil-test-replay'), {
      topic: fx.input,
      from: { kind: 'earliest' },
      rules: JSON.parse(readFileSync(fx.rulesFile, 'utf8')),
      engine: {},
      batchMax: 1,
      dryRunAll: false,
      liveGroupId: fx.env.KAFKA_GROUP_ID,
      signal: stop.signal,
      emit: () => undefined,
      progress: () => stop.abort(),
    });
    await expect(run).rejects.toThrow('interrupted');
    const admin = testKafka('vigil-test-admin').admin();
    await admin.connect();
    for (const g of (await admin.listGroups()).groups) groups.push(g.groupId);
    await admin.disconnect();
    expect(groups.filter((g) => g.startsWith('vigil-monitor-replay-'))).toEqual([]);
  }, 60_000);

  it('vigil alerts replay: the operator CLI runs the same replay (and maps its exit codes)', async () => {
    const cli = async (args: string[], env: Record<string, string> = {}) => {
      let out = '';
      let err = '';
      const code = await runVigil(args, {
        stdout: (t) => (out += t.endsWith('\n') ? t : `${t}\n`),
        stderr: (t) => (err += t.endsWith('\n') ? t : `${t}\n`),
        interactive: false,
        env: { ...process.env, ...fx.env, ...env },
      });
      return { code, out, err };
    };
    const ran = await cli(['alerts', 'replay', '--from', '0', '--quiet']);
    expect({ code: ran.code, err: ran.err }).toMatchObject({ code: 0 });
    expect(byId(ran.out.split('\n').filter(Boolean))).toEqual(byId(liveLines));
    expect(ran.err).toContain('alert transitions');
    const bad = await cli(['alerts', 'replay', '--from', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--from "yesterday"');
    const down = await cli(['alerts', 'replay', '--from', '0', '--connect-attempts', '2'], {
      KAFKA_BROKERS: '127.0.0.1:1',
    });
    expect(down.code).toBe(3);
    expect(down.err).toContain('Kafka unreachable');
  }, 120_000);

  it('npm run monitor:replay: the command itself, to stdout', async () => {
    const child = spawn('npm', ['run', '-s', 'monitor:replay', '--', '--from', '0', '--quiet'], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, ...fx.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(byId(stdout.split('\n').filter(Boolean))).toEqual(byId(liveLines));
    expect(stderr).toContain('alert transitions');
  }, 120_000);
});

// Three input partitions: the replay is still deterministic, and equal to live wherever live is
// (README "Replay"): the user and user+IP rules byte for byte; the per-IP and global rules, whose
// live stages see the user stage's output in the order its partitions happened to be fetched, as
// the same alerts firing and resolving on the same keys.
describe('monitor:replay over three partitions (issue 19 item 3)', () => {
  let fx: Fixture;
  let db: Client;
  let liveLines: string[];

  beforeAll(async () => {
    fx = await monitorFixture('replay3', 3);
    db = new Client({ connectionString: fx.db.url });
    await db.connect();
    // The stream, and a system-wide burst (seed 001-37): 80 failures from 80 accounts and IPs in a minute.
    const burst = Array.from({ length: 80 }, (_, i) =>
      failed(at(3300 + (i * 60) / 80), `wide${i}@example.com`, `192.0.2.${i + 1}`),
    );
    await publishAll(
      fx.input,
      [...stream(), ...burst].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt)),
    );
    // The default idle time: a user partition whose first counts reach the global stage a few
    // seconds after another's is not retired as quiet (which would close periods without it).
    liveLines = await runLive(fx, db, 10);
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await fx?.db.drop();
  });

  const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as AlertEvent);
  const keyed = (lines: string[], kinds: string[]) =>
    lines.filter((l) => kinds.includes(JSON.parse(l).attributes.key.kind));
  const transitions = (lines: string[], status: string) =>
    parse(lines)
      .filter((a) => a.attributes.status === status)
      .map((a) => `${a.attributes.ruleId} ${a.attributes.key.kind}:${a.attributes.key.value}`)
      .sort();

  it('seeds 000-18, 001-36, 001-37, 004-50: two replays give the same lines; user and user+IP alerts equal live byte for byte, per-IP and global ones fire and resolve as live', async () => {
    const first = await replay(fx, ['--from', 'earliest', '--quiet']);
    const second = await replay(fx, ['--from', '0:0,1:0,2:0', '--quiet']);
    expect(first.code).toBe(0);
    expect(second.lines).toEqual(first.lines);
    expect(first.summary!.ranges).toHaveLength(3);
    expect(first.summary!.ipPartitions).toBe(3);

    const user = ['user', 'user_ip'];
    expect(keyed(first.lines, user).length).toBeGreaterThan(0);
    expect(byId(keyed(first.lines, user))).toEqual(byId(keyed(liveLines, user)));
    for (const status of ['firing', 'resolved'])
      expect(transitions(keyed(first.lines, ['ip', 'global']), status)).toEqual(
        transitions(keyed(liveLines, ['ip', 'global']), status),
      );
    const fired = transitions(first.lines, 'firing');
    expect(fired).toEqual(
      expect.arrayContaining([
        'credential-stuffing-per-ip ip:198.51.100.66',
        'password-spraying-per-ip ip:203.0.113.77',
        'failed-logins-global-1m-warning global:*',
        'failing-accounts-above-baseline global:*',
        'failed-logins-per-user-1m-critical user:mallory@example.com',
      ]),
    );
  }, 120_000);
});
