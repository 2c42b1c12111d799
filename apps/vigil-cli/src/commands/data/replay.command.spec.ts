import path from 'node:path';
import { replayArgs, replayCommand } from './replay.command';

// Issue 19 item 3: `vigil alerts replay` hands the monitor's replay its options, paths resolved
// from where the operator stands (the replay runs from the repository root).
describe('vigil alerts replay', () => {
  it('passes every option on, with the operator-relative paths made absolute', () => {
    expect(
      replayArgs({
        from: '2026-01-05T00:00:00Z',
        to: '0:10,1:12',
        rules: 'my.rules.json',
        out: 'out/replay.jsonl',
        topic: 'auth.events.v1',
        endClock: 'none',
        publish: true,
        publishTopic: 'soc.replay',
        quiet: true,
        connectAttempts: '2',
      }),
    ).toEqual([
      '--from',
      '2026-01-05T00:00:00Z',
      '--to',
      '0:10,1:12',
      '--rules',
      path.resolve('my.rules.json'),
      '--out',
      path.resolve('out/replay.jsonl'),
      '--topic',
      'auth.events.v1',
      '--end-clock',
      'none',
      '--publish',
      '--publish-topic',
      'soc.replay',
      '--quiet',
      '--connect-attempts',
      '2',
    ]);
    expect(replayArgs({ from: '0' })).toEqual(['--from', '0']);
  });

  it('runs the sources unless a build is there (or VIGIL_CLI_FROM_SOURCE=1)', () => {
    const root = path.join(__dirname, '..', '..', '..', '..', '..');
    const { args } = replayCommand(root, { VIGIL_CLI_FROM_SOURCE: '1' });
    expect(args).toEqual([
      '-r',
      path.join(root, 'tools/ts-register.js'),
      path.join(root, 'apps/security-monitor/src/replay/replay.cli.ts'),
    ]);
  });
});
