import { isLogLevel, LogLevelState } from './log-level.state';

describe('LogLevelState (seed 002-32: log level at runtime)', () => {
  afterEach(() => jest.useRealTimers());

  it('sets the level in place and reports the level before', () => {
    const logger = { level: 'info' };
    const state = new LogLevelState(logger);
    expect(state.set('debug')).toBe('info');
    expect(logger.level).toBe('debug');
    expect(state.view()).toEqual({ level: 'debug', configured: 'info', revertsAt: null });
    state.dispose();
  });

  it('goes back to the configured level when the TTL runs out, and says so once', () => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    const logger = { level: 'warn' };
    const reverted: string[] = [];
    const state = new LogLevelState(logger, (from, to) => reverted.push(`${from}->${to}`));
    state.set('debug', 60);
    expect(state.view().revertsAt).toBe('2026-01-01T00:01:00.000Z');
    jest.advanceTimersByTime(59_000);
    expect(logger.level).toBe('debug');
    jest.advanceTimersByTime(1_000);
    expect(logger.level).toBe('warn');
    expect(state.view()).toEqual({ level: 'warn', configured: 'warn', revertsAt: null });
    expect(reverted).toEqual(['debug->warn']);
  });

  it('a new level replaces a pending revert', () => {
    jest.useFakeTimers();
    const logger = { level: 'info' };
    const state = new LogLevelState(logger);
    state.set('debug', 10);
    state.set('error');
    jest.advanceTimersByTime(20_000);
    expect(logger.level).toBe('error');
    expect(state.view().revertsAt).toBeNull();
  });

  it('knows the four levels and nothing else', () => {
    expect(['error', 'warn', 'info', 'debug'].every(isLogLevel)).toBe(true);
    expect(isLogLevel('verbose')).toBe(false);
    expect(isLogLevel(undefined)).toBe(false);
  });
});
