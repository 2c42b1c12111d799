import { parseReplayArgs } from './replay.cli';
import { parsePosition, resolveRanges, UsageError, type TopicWatermarks } from './replay-range';

// Issue 19 item 3: where a replay starts and stops, and the command line's refusals (exit 2).
describe('monitor:replay positions and arguments', () => {
  const topic: TopicWatermarks = {
    topic: 'auth.events.v1',
    partitions: [
      { partition: 0, low: 0n, high: 100n },
      { partition: 1, low: 20n, high: 80n },
    ],
    offsetsAt: async (at) =>
      new Map([
        [0, at === Date.parse('2026-01-05T10:00:00Z') ? 40n : 100n],
        [1, at === Date.parse('2026-01-05T10:00:00Z') ? 30n : 80n],
      ]),
  };

  it('parses offsets (one for all, one per partition), ISO times, earliest and end', () => {
    expect(parsePosition('--from', '120')).toEqual({ kind: 'offset', offset: 120n });
    expect(parsePosition('--from', '0:5,1:7')).toEqual({
      kind: 'offsets',
      byPartition: new Map([
        [0, 5n],
        [1, 7n],
      ]),
    });
    expect(parsePosition('--from', '2026-01-05T10:00:00Z')).toMatchObject({
      kind: 'time',
      at: Date.parse('2026-01-05T10:00:00Z'),
    });
    expect(parsePosition('--from', '2026-01-05T11:00:00+01:00')).toMatchObject({
      at: Date.parse('2026-01-05T10:00:00Z'),
    });
    expect(parsePosition('--from', '2026-01-05')).toMatchObject({ at: Date.parse('2026-01-05T00:00:00Z') });
    expect(parsePosition('--from', 'earliest')).toEqual({ kind: 'earliest' });
    expect(parsePosition('--to', 'end')).toEqual({ kind: 'end' });
  });

  it('refuses what is not a position, naming the flag and the forms it takes', () => {
    expect(() => parsePosition('--from', 'yesterday')).toThrow(UsageError);
    expect(() => parsePosition('--from', 'yesterday')).toThrow(/--from "yesterday": expected an offset/);
    expect(() => parsePosition('--from', '2026-01-05T10:00:00')).toThrow(/needs a time zone/);
    expect(() => parsePosition('--to', '-5')).toThrow(UsageError);
    expect(() => parsePosition('--to', '0:1,0:2')).toThrow(/partition 0 given twice/);
  });

  it('resolves ranges against the watermarks: default to the end, times by the broker, retention noted', async () => {
    expect(await resolveRanges(topic, { kind: 'earliest' })).toEqual({
      ranges: [
        { partition: 0, start: 0n, end: 100n },
        { partition: 1, start: 20n, end: 80n },
      ],
      notes: [],
    });
    const r = await resolveRanges(
      topic,
      { kind: 'offset', offset: 10n },
      { kind: 'time', at: Date.parse('2026-01-05T10:00:00Z'), text: '' },
    );
    expect(r.ranges).toEqual([
      { partition: 0, start: 10n, end: 40n },
      { partition: 1, start: 20n, end: 30n },
    ]);
    expect(r.notes).toEqual([
      'partition 1: offsets before 20 are gone (retention); starting at 20 instead of 10',
    ]);
  });

  it('refuses positions the topic does not have', async () => {
    await expect(resolveRanges(topic, { kind: 'offset', offset: 90n })).rejects.toThrow(
      'partition 1 of auth.events.v1 ends at offset 80; 90 is beyond it',
    );
    await expect(
      resolveRanges(topic, { kind: 'offset', offset: 50n }, { kind: 'offset', offset: 40n }),
    ).rejects.toThrow('--to is before --from on partition 0');
    await expect(resolveRanges(topic, { kind: 'offsets', byPartition: new Map([[0, 1n]]) })).rejects.toThrow(
      'give an offset for every partition of auth.events.v1 (missing 1)',
    );
    await expect(
      resolveRanges(topic, {
        kind: 'offsets',
        byPartition: new Map([
          [0, 1n],
          [1, 20n],
          [7, 1n],
        ]),
      }),
    ).rejects.toThrow('auth.events.v1 has no partition 7');
  });

  it('the command line: --from required, --publish only with a named topic, unknown flags refused', () => {
    expect(
      parseReplayArgs(['--from', '0', '--to', '10', '--rules', 'r.json', '--out', 'o.jsonl']),
    ).toMatchObject({
      from: { kind: 'offset', offset: 0n },
      to: { kind: 'offset', offset: 10n },
      rules: 'r.json',
      out: 'o.jsonl',
      publish: false,
    });
    expect(() => parseReplayArgs([])).toThrow('--from is required');
    expect(() => parseReplayArgs(['--from'])).toThrow('--from needs a value');
    expect(() => parseReplayArgs(['--from', 'end'])).toThrow('--from end replays nothing');
    expect(() => parseReplayArgs(['--from', '0', '--publish'])).toThrow('--publish needs --publish-topic');
    expect(() => parseReplayArgs(['--from', '0', '--publish-topic', 'x'])).toThrow(
      'only used with --publish',
    );
    expect(() => parseReplayArgs(['--from', '0', '--topic', 'no spaces'])).toThrow('not a topic name');
    expect(() => parseReplayArgs(['--from', '0', '--group', 'g'])).toThrow('unknown option "--group"');
    expect(parseReplayArgs(['--from', '0', '--end-clock', '2026-01-05T10:00:00Z']).endClock).toBe(
      Date.parse('2026-01-05T10:00:00Z'),
    );
    expect(() => parseReplayArgs(['--from', '0', '--end-clock', '12'])).toThrow(
      'expected now, none or an ISO time',
    );
  });
});
