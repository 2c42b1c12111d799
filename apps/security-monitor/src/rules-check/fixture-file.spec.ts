import { DEFAULT_FIXTURE_BASE, FixtureError, parseFixture, validateFixture } from './fixture-file';

// Issue 19 item 5: a fixture an analyst gets wrong is refused with every problem named by file,
// case and field (and never a value from the file: an attribute may hold something sensitive).
describe('rule fixture files: validation', () => {
  const FILE = 'fixtures/failed-logins-per-user-1m-warning.json';
  const good = () => ({
    rule: 'failed-logins-per-user-1m-warning',
    cases: [
      {
        name: 'six failures',
        kind: 'fires',
        events: [{ at: 0, type: 'FAILED_AUTH_LOGIN', username: 'alice', repeat: 6, every: 5 }],
        expect: [{ status: 'firing', key: 'alice', count: 6 }],
      },
      {
        name: 'five failures',
        kind: 'near-miss',
        events: [{ at: 0, type: 'FAILED_AUTH_LOGIN', username: 'alice', repeat: 5 }],
        expect: [],
      },
    ],
  });
  const problemsOf = (raw: unknown, file = FILE): string[] => {
    try {
      validateFixture(raw, file);
    } catch (err) {
      expect(err).toBeInstanceOf(FixtureError);
      return (err as FixtureError).problems;
    }
    throw new Error('expected the fixture to be refused');
  };

  it('reads the shared format: base defaults to Monday 2026-01-05T10:00Z, repeat to 1, every to 1 s', () => {
    const f = parseFixture(JSON.stringify(good()), FILE);
    expect(f.base).toBe(Date.parse(DEFAULT_FIXTURE_BASE));
    expect(f.cases.map((c) => c.kind)).toEqual(['fires', 'near-miss']);
    expect(f.cases[0].events[0]).toMatchObject({ at: 0, repeat: 6, every: 5 });
    expect(f.cases[1].events[0]).toMatchObject({ repeat: 5, every: 1 });
    const based = parseFixture(JSON.stringify({ ...good(), base: '2026-02-01T00:00:00Z' }), FILE);
    expect(based.base).toBe(Date.parse('2026-02-01T00:00:00Z'));
  });

  it('a case without kind, a near-miss that expects an alert, a fires case that expects none: named by file, case and field', () => {
    const raw = good();
    delete (raw.cases[0] as Partial<(typeof raw.cases)[0]>).kind;
    raw.cases[1].expect = [{ status: 'firing', key: 'alice', count: 1 }];
    expect(problemsOf(raw)).toEqual([
      `${FILE}: case "six failures".kind: "fires" or "near-miss"`,
      `${FILE}: case "five failures".expect: a near-miss expects no firing alert ([])`,
    ]);
    const noExpect = good();
    noExpect.cases[0].expect = [];
    expect(problemsOf(noExpect)).toEqual([
      `${FILE}: case "six failures".expect: a "fires" case lists at least one firing alert`,
    ]);
  });

  it('a bad event spec: unknown type, negative at, repeat 0, a field not in the format, actor of the wrong shape', () => {
    const raw = good() as { cases: Array<{ events: unknown[] }> };
    raw.cases[0].events = [
      { at: -1, type: 'FAILED_LOGIN', repeat: 0, password: 'hunter2', actor: 'root' },
      { at: 0, type: 'FAILED_AUTH_LOGIN', every: -5, outcome: 'maybe', attributes: [] },
    ];
    const problems = problemsOf(raw);
    expect(problems).toEqual([
      `${FILE}: case "six failures".events[0].password: unknown field`,
      `${FILE}: case "six failures".events[0].at: seconds after base, a number 0..2592000`,
      `${FILE}: case "six failures".events[0].type: an event type from the contracts (e.g. FAILED_AUTH_LOGIN)`,
      `${FILE}: case "six failures".events[0].actor: an object { userId?, roles?, dbRole? }`,
      `${FILE}: case "six failures".events[0].repeat: an integer 1..10000`,
      `${FILE}: case "six failures".events[1].outcome: one of success, failure, denied, error`,
      `${FILE}: case "six failures".events[1].attributes: an object (what the event type requires)`,
      `${FILE}: case "six failures".events[1].every: seconds between repeats, a number 0..2592000`,
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('expectations: only firing alerts, with a key; count a positive integer', () => {
    const raw = good() as { cases: Array<{ expect: unknown[] }> };
    raw.cases[0].expect = [
      { status: 'resolved', key: '' },
      { status: 'firing', key: 'alice', count: 0 },
    ];
    expect(problemsOf(raw)).toEqual([
      `${FILE}: case "six failures".expect[0].status: "firing" (only the rule's firing alerts are listed)`,
      `${FILE}: case "six failures".expect[0].key: the alert's key value as published (e.g. a username, an IP, *)`,
      `${FILE}: case "six failures".expect[1].count: an integer >= 1`,
    ]);
  });

  it('file level: the rule must match the file name, base a UTC timestamp, cases present, case names unique', () => {
    expect(problemsOf({ ...good(), base: 'monday' }, 'fixtures/other-rule.json')).toEqual([
      'fixtures/other-rule.json.rule: must match the file name (<rule-id>.json): this file tests failed-logins-per-user-1m-warning',
      'fixtures/other-rule.json.base: a UTC ISO timestamp such as 2026-01-05T10:00:00.000Z',
    ]);
    expect(problemsOf({ rule: 'failed-logins-per-user-1m-warning', cases: [] })).toEqual([
      `${FILE}.cases: an array of 1..100 cases`,
    ]);
    const dup = good();
    dup.cases[1].name = 'six failures';
    expect(problemsOf(dup)).toContain(`${FILE}: case "six failures".name: duplicate case name`);
    expect(problemsOf({ ...good(), extra: 1 })).toEqual([`${FILE}.extra: unknown field`]);
  });

  it('too many events after repeat is refused before anything is expanded', () => {
    const raw = good();
    const big = { at: 0, type: 'FAILED_AUTH_LOGIN', username: 'a', repeat: 10_000, every: 0 };
    raw.cases[0].events = Array.from({ length: 6 }, () => ({ ...big }));
    expect(problemsOf(raw)).toEqual([
      `${FILE}: case "six failures".events: 60000 events after repeat, at most 50000`,
    ]);
  });

  it('not JSON: refused without quoting the text', () => {
    expect(() => parseFixture('{"rule": "x", secret-token-value', FILE)).toThrow(FixtureError);
    try {
      parseFixture('{"rule": "x", secret-token-value', FILE);
    } catch (err) {
      expect((err as FixtureError).problems).toEqual([`${FILE}: not JSON`]);
    }
  });
});
