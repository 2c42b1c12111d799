import { parseRetentionArgs, UsageError } from './retention-args';

describe('npm run retention -- arguments', () => {
  it('parses each command', () => {
    expect(parseRetentionArgs(['policy', '--json'])).toEqual({ cmd: 'policy', json: true });
    expect(parseRetentionArgs(['run', '--dry-run', '--days', '120'])).toEqual({
      cmd: 'run',
      dryRun: true,
      days: 120,
      json: false,
    });
    expect(parseRetentionArgs(['report'])).toEqual({ cmd: 'report', json: false, gapHours: undefined });
    expect(parseRetentionArgs(['holds', 'list', '--all'])).toEqual({
      cmd: 'holds-list',
      all: true,
      json: false,
    });
    expect(
      parseRetentionArgs([
        'holds',
        'set',
        '--action',
        'ROLE_CHANGED',
        '--from',
        '2026-01-01',
        '--reason',
        'case 17',
      ]),
    ).toMatchObject({
      cmd: 'holds-set',
      action: 'ROLE_CHANGED',
      from: '2026-01-01',
      reason: 'case 17',
    });
    expect(parseRetentionArgs(['holds', 'release', 'hold-0123456789ab', '--reason', 'closed'])).toMatchObject(
      { cmd: 'holds-release', holdId: 'hold-0123456789ab' },
    );
    expect(parseRetentionArgs(['restore', '--day', '2026-01-02'])).toMatchObject({
      cmd: 'restore',
      day: '2026-01-02',
    });
  });

  it.each([
    [[], /command is required/],
    [['purge'], /unknown command/],
    [['run', '--days', '0'], /--days/],
    [['run', '--force', 'yes'], /unknown option --force/],
    [['holds', 'set', '--reason', 'x y z'], /names --user/],
    [['holds', 'set', '--user', 'bob', '--reason', 'why not'], /uuid/],
    [['holds', 'release', 'hold-1'], /--reason is required/],
    [['restore', '--day', '2026-01-02', '--archive', 'a'], /exactly one/],
    [['restore', '--day'], /needs a value/],
  ])('refuses %p', (argv, why) => {
    expect(() => parseRetentionArgs(argv as string[])).toThrow(UsageError);
    expect(() => parseRetentionArgs(argv as string[])).toThrow(why);
  });
});
